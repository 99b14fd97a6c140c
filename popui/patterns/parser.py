"""Pattern text to a tree of nodes (``popui.patterns.nodes``), or a ``PatternError``.

Grammar, as mutt reads it: ``!`` binds tightest, then juxtaposition (and), then ``|`` (or)::

    or      := and ("|" and)*
    and     := unary unary*
    unary   := "!" unary | "(" or ")" | "~" LETTER [EXPR] | "=" LETTER EXPR | SIZE | WORD

An EXPR or WORD is quoted ("..." or '...') or runs to the next space; unquoted, a ``)`` or
``|`` ends it unless it is inside parentheses the EXPR opened itself, so ``~s (a|b)`` works,
and a backslash keeps the next character in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from popui.patterns.nodes import (
    FLAGS,
    TEXT_FIELDS,
    And,
    Date,
    Everything,
    Flag,
    Node,
    Not,
    Or,
    Size,
    Text,
)
from popui.patterns.ranges import SIZE_TERM, RangeError, parse_date, parse_size, size_term

#: Characters that make an EXPR a regular expression. A lone ``.`` does not, so addresses and
#: domains match literally.
REGEX_CHARS = frozenset("\\^$|?*+()[]{}")
_KNOWN = "~A ~b ~c ~C ~d ~D ~f ~i ~N ~s ~t ~T ~z"
_EXAMPLES = {
    "f": "~f alice", "s": "~s invoice", "t": "~t me@example.com", "c": "~c bob",
    "C": "~C team", "i": "~i abc@example.com", "b": "~b 'order number'",
    "z": "~z >10K", "d": "~d <3d",
}
#: mutt patterns POP3 has nothing for, and what to use instead.
_HINTS = {
    "U": "for unread messages use ~N (never opened here)",
    "O": "for unread messages use ~N (never opened here)",
    "R": "for read messages use !~N (opened here)",
    "F": "POP3 keeps no flags; ~T finds tagged messages",
}
_MAX_DEPTH = 100
#: How regular expressions are compiled: case-insensitive, ``^``/``$`` at line ends (bodies).
FLAGS_RE = re.IGNORECASE | re.MULTILINE


class PatternError(ValueError):
    """A malformed pattern: a sentence saying what is wrong, and where.

    ``position`` is the 0-based index of the problem in the pattern text, ``end`` the index
    after it (at least ``position + 1``), so a UI can underline it.
    """

    def __init__(self, problem: str, position: int, end: int | None = None) -> None:
        self.problem = problem
        self.position = position
        self.end = max(end if end is not None else position + 1, position + 1)
        super().__init__(f"{problem} (column {position + 1})")

    def pointer(self) -> str:
        """Spaces and carets to print under the pattern text."""
        return " " * self.position + "^" * (self.end - self.position)


def is_regex(expr: str) -> bool:
    return any(c in REGEX_CHARS for c in expr)


class _Parser:
    def __init__(self, text: str, now: datetime) -> None:
        self.text = text
        self.now = now
        self.pos = 0
        self.depth = 0

    # --- helpers ---------------------------------------------------------------------------

    def error(self, problem: str, position: int, end: int | None = None) -> PatternError:
        return PatternError(problem, position, end)

    def skip_spaces(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    # --- grammar ---------------------------------------------------------------------------

    def parse(self) -> Node:
        self.skip_spaces()
        if self.pos == len(self.text):
            return Everything()
        node = self.parse_or()
        if self.pos < len(self.text):  # only a stray ")" stops parse_or early
            raise self.error("This ) has no ( before it", self.pos)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.peek() == "|":
            bar = self.pos
            self.pos += 1
            self.skip_spaces()
            if self.peek() in ("", ")", "|"):
                raise self.error("| needs a pattern on both sides, e.g. ~s a | ~s b", bar)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        self.skip_spaces()
        if self.peek() == "|":
            raise self.error("| needs a pattern on both sides, e.g. ~s a | ~s b", self.pos)
        if self.peek() == ")" and self.depth == 0:
            raise self.error("This ) has no ( before it", self.pos)
        if self.peek() in ("", ")"):
            raise self.error("A pattern is missing here", self.pos)
        children = [self.parse_unary()]
        self.skip_spaces()
        while self.peek() not in ("", ")", "|"):
            children.append(self.parse_unary())
            self.skip_spaces()
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        start = self.pos
        char = self.peek()
        if char == "!":
            self.pos += 1
            self.skip_spaces()
            if self.peek() in ("", ")", "|"):
                raise self.error("! needs a pattern after it, e.g. !~s invoice", start)
            return Not(self.nested(self.parse_unary, start))
        if char == "(":
            self.pos += 1
            self.skip_spaces()
            if self.peek() == ")":
                raise self.error("These parentheses are empty", start, self.pos + 1)
            if not self.peek():
                raise self.error("This ( is never closed; add a )", start)
            node = self.nested(self.parse_or, start)
            if self.peek() != ")":
                raise self.error("This ( is never closed; add a )", start)
            self.pos += 1
            return node
        if char == ")":
            raise self.error("This ) has no ( before it", start)
        if char == "~":
            return self.tilde()
        letter = self.text[self.pos + 1: self.pos + 2]
        if char == "=" and letter and letter in TEXT_FIELDS:
            return self.literal()
        return self.word()

    def nested(self, parse: Callable[[], Node], start: int) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(f"Patterns nest at most {_MAX_DEPTH} deep", start)
        try:
            return parse()
        finally:
            self.depth -= 1

    def tilde(self) -> Node:
        start = self.pos
        letter = self.text[self.pos + 1: self.pos + 2]
        self.pos += 2
        if not letter or letter.isspace():
            raise self.error(f"~ needs a letter after it; popui knows {_KNOWN}", start)
        if letter == "A":
            return Everything()
        if letter in FLAGS:
            return Flag(FLAGS[letter])
        if letter and letter in TEXT_FIELDS:
            expr, expr_start, quoted = self.expr(start, letter)
            return self.text_node(letter, expr, expr_start, quoted, literal=False)
        if letter in ("z", "d"):
            expr, expr_start, _ = self.expr(start, letter)
            try:
                if letter == "z":
                    low, high = parse_size(expr)
                    return Size(low, high)
                date_low, date_high = parse_date(expr, self.now)
                return Date(date_low, date_high)
            except RangeError as exc:
                raise self.error(
                    f"~{letter}: {exc.problem}", expr_start + exc.offset, self.pos
                ) from None
        hint = _HINTS.get(letter, f"popui knows {_KNOWN}")
        raise self.error(f"~{letter} is not a pattern popui knows; {hint}", start, start + 2)

    def literal(self) -> Node:
        """``=s text``: always a plain substring, never a regular expression (as mutt)."""
        start = self.pos
        letter = self.text[self.pos + 1]
        self.pos += 2
        expr, expr_start, quoted = self.expr(start, letter)
        return self.text_node(letter, expr, expr_start, quoted, literal=True)

    def text_node(
        self, letter: str, expr: str, expr_start: int, quoted: bool, literal: bool,
    ) -> Node:
        if literal or not is_regex(expr):
            if not quoted:
                expr = _unescape(expr)
            if not expr:
                raise self.error(f"~{letter} needs text to look for", expr_start)
            return Text(letter, expr, regex=False)
        try:
            re.compile(expr, FLAGS_RE)
        except re.error as exc:
            position = expr_start + (exc.pos or 0) + (1 if quoted else 0)
            raise self.error(
                f"{expr!r} is not a valid regular expression ({exc.msg}); write ={letter} "
                f"instead of ~{letter} to search for the text as it is",
                position,
            ) from None
        return Text(letter, expr, regex=True)

    def expr(self, op_start: int, letter: str) -> tuple[str, int, bool]:
        """The EXPR after ``~X``: its text, where it starts, and whether it was quoted."""
        self.skip_spaces()
        start = self.pos
        if self.peek() in ("", ")", "|"):
            raise self.error(
                f"~{letter} needs an expression after it, e.g. {_EXAMPLES[letter]}",
                op_start, op_start + 2,
            )
        if self.peek() in ("\"", "'"):
            return self.quoted(), start, True
        return self.bare(), start, False

    def quoted(self) -> str:
        start = self.pos
        quote = self.text[start]
        out: list[str] = []
        pos = start + 1
        text = self.text
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text):
                following = text[pos + 1]
                out.append(following if following in (quote, "\\") else char + following)
                pos += 2
                continue
            if char == quote:
                self.pos = pos + 1
                return "".join(out)
            out.append(char)
            pos += 1
        raise self.error(f"This {quote} is never closed; add another {quote}", start)

    def bare(self) -> str:
        """Unquoted text up to a space, or a ``)`` or ``|`` outside its own parentheses."""
        text = self.text
        pos = self.pos
        depth = 0
        while pos < len(text):
            char = text[pos]
            if char.isspace():
                break
            if char == "\\" and pos + 1 < len(text):
                pos += 2
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "|" and depth == 0:
                break
            pos += 1
        word = text[self.pos: pos]
        self.pos = pos
        return word

    def word(self) -> Node:
        """A plain word (in sender or subject, as before patterns), or a size term like >5M."""
        start = self.pos
        if self.peek() in ("\"", "'"):
            phrase = self.quoted()
            if not phrase:
                raise self.error("Empty quotes match nothing; put text between them", start)
            return Text("", phrase, regex=False)
        word = self.bare()
        size = SIZE_TERM.fullmatch(word)
        if size:
            low, high = size_term(*size.groups())
            return Size(low, high)
        return Text("", _unescape(word), regex=False)


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def parse(text: str, now: datetime | None = None) -> Node:
    """Parse pattern text; an empty pattern is ``Everything()``. Raises ``PatternError``.

    ``now`` (aware; default: the local time) anchors relative dates and sets the time zone of
    absolute ones.
    """
    if now is None:
        now = datetime.now().astimezone()
    return _Parser(text, now).parse()
