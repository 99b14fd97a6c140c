"""The filter's pattern language: each operator, each error, and a property test against a
reference evaluator written independently of the parser (straight from the README's table)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pattern_rows import FakeRow

from popui.patterns import FilterHistory, FilterResult, PatternError, compile_pattern, is_regex

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)

ALICE = FakeRow(
    subject="Invoice 42 for March", sender="Alice Example", sender_addr="alice@example.com",
    to="Me <me@example.org>", cc="Bob <bob@example.net>", message_id="<a1@mail.example.com>",
    date=NOW - timedelta(days=1), size=2 * 1024 * 1024, opened=True, body="Please pay by Friday.",
)
BOB = FakeRow(
    subject="Re: lunch?", sender="Bob", sender_addr="bob@example.net", to="team@example.org",
    message_id="<b2@example.net>", date=NOW - timedelta(days=10), size=5 * 1024, marked=True,
)
CAROL = FakeRow(
    subject="[PATCH] fix (urgent)", sender="Carol Doe", sender_addr="carol@lists.example",
    to="dev@lists.example", cc="me@example.org", message_id="<c3@lists.example>",
    date=datetime(2023, 1, 3, 9, 30, tzinfo=UTC), size=40 * 1024, tagged=True,
    body="A patch.\nSigned-off-by: Carol",
)
NODATE = FakeRow(subject="no date", sender="Dave", size=100, date=None)
ROWS = [ALICE, BOB, CAROL, NODATE]
NAMES = {id(ALICE): "alice", id(BOB): "bob", id(CAROL): "carol", id(NODATE): "nodate"}


def shown(pattern: str, rows: list[FakeRow] = ROWS) -> list[str]:
    return [NAMES[id(r)] for r in compile_pattern(pattern, now=NOW).filter(rows).rows]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", ["alice", "bob", "carol", "nodate"]),
        ("~A", ["alice", "bob", "carol", "nodate"]),
        # plain words: all of them in sender (name or address) or subject, as before patterns
        ("invoice", ["alice"]),
        ("INVOICE alice", ["alice"]),
        ("example", ["alice", "bob", "carol"]),
        ("example lunch", ["bob"]),
        ('"lunch?"', ["bob"]),
        ("(urgent)", ["carol"]),  # parentheses group: the word "urgent" in sender/subject
        ("urgent", ["carol"]),
        # today's size terms
        (">1M", ["alice"]),
        ("<10k", ["bob", "nodate"]),
        (">=5K <=40K", ["bob", "carol"]),
        ("invoice >1M", ["alice"]),
        ("invoice <1M", []),
        # ~f sender, name or address
        ("~f alice", ["alice"]),
        ("~f example.net", ["bob"]),
        ("~f 'carol doe'", ["carol"]),
        ("~f ^bob$", ["bob"]),  # a regular expression: each field on its own
        # ~s subject
        ("~s invoice", ["alice"]),
        ("~s re:", ["bob"]),
        ("~s 'invoice 42'", ["alice"]),
        ("~s '^re: '", ["bob"]),
        ("~s (lunch|patch)", ["bob", "carol"]),
        ("~s [0-9]+", ["alice"]),
        ("~s inv.ice", []),  # a lone dot is no regular expression: matched literally
        # =s: literal, even with regex characters
        ("=s [PATCH]", ["carol"]),
        ("=s '(urgent)'", ["carol"]),
        ("=s ^re", []),
        # ~t to, ~c cc, ~C either
        ("~t me@example.org", ["alice"]),
        ("~t team", ["bob"]),
        ("~c bob", ["alice"]),
        ("~c me@", ["carol"]),
        ("~C me@example.org", ["alice", "carol"]),
        ("~C team", ["bob"]),
        # ~i Message-ID
        ("~i b2@example.net", ["bob"]),
        ("~i lists", ["carol"]),
        # ~b body
        ("~b friday", ["alice"]),
        ("~b signed-off-by", ["carol"]),
        ("~b ^signed", ["carol"]),  # re.search without MULTILINE: ^ is the start of the text
        # ~z
        ("~z >1M", ["alice"]),
        ("~z <5K", ["nodate"]),
        ("~z <=5K", ["bob", "nodate"]),
        ("~z 5K-40K", ["bob", "carol"]),
        ("~z 10K-", ["alice", "carol"]),
        ("~z -5K", ["bob", "nodate"]),
        ("~z 100", ["nodate"]),
        ("~z 1.5M-2M", ["alice"]),
        ("~z >5KB", ["alice", "carol"]),
        # ~d relative: <3d newer than three days, >2w older than two weeks
        ("~d <3d", ["alice"]),
        ("~d <2w", ["alice", "bob"]),
        ("~d >1w", ["bob", "carol"]),
        ("~d >2w", ["carol"]),
        ("~d <1m", ["alice", "bob"]),
        ("~d >1y", ["carol"]),
        ("~d =10d", ["bob"]),
        ("~d <25H", ["alice"]),
        # ~d absolute, DD/MM/YYYY as mutt writes it
        ("~d 01/01/2023-05/01/2023", ["carol"]),
        ("~d 03/01/2023", ["carol"]),
        ("~d 04/01/2023", []),
        ("~d 3/1/23", ["carol"]),
        ("~d 20230103", ["carol"]),
        ("~d 01/03/2024-", ["alice", "bob"]),
        ("~d -01/03/2024", ["carol"]),
        ("~d 14/03", ["alice"]),  # month and year default to now's
        # flags
        ("~D", ["bob"]),
        ("~T", ["carol"]),
        ("~N", ["bob", "carol", "nodate"]),
        ("!~N", ["alice"]),
        # operators
        ("!~D", ["alice", "carol", "nodate"]),
        ("! ~D", ["alice", "carol", "nodate"]),
        ("!!~D", ["bob"]),
        ("~f alice | ~D", ["alice", "bob"]),
        ("~f alice|~D", ["alice", "bob"]),
        ("~N ~z <10K", ["bob", "nodate"]),
        ("~f bob ~D | ~T", ["bob", "carol"]),  # and binds tighter than or
        ("~f bob (~D | ~T)", ["bob"]),
        ("~T | ~f bob ~D", ["bob", "carol"]),
        ("!(~D | ~T)", ["alice", "nodate"]),
        ("!~D !~T", ["alice", "nodate"]),
        ("((~s invoice))", ["alice"]),
        ("(~s (lunch|patch)) !~T", ["bob"]),
        ("~s\tinvoice", ["alice"]),
        ("  ~s   invoice  ", ["alice"]),
        # quotes and escapes
        ('~s "re: lunch?"', ["bob"]),
        ("~s 'fix (urgent)'", []),  # a regular expression: ( ) group, match "fix urgent"
        (r"~s 'fix \(urgent\)'", ["carol"]),
        (r"~s fix\ \(urgent\)", ["carol"]),
        (r'~s "say \"hi\""', []),
        ("=f 'alice example'", ["alice"]),
        ("~sinvoice", ["alice"]),  # mutt needs no space after the letter
    ],
)
def test_operator_table(pattern: str, expected: list[str]) -> None:
    assert shown(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "position", "words"),
    [
        ("~", 0, "~ needs a letter"),
        ("~ s foo", 0, "~ needs a letter"),
        ("~q foo", 0, "~q is not a pattern popui knows; popui knows ~A ~b"),
        ("~U", 0, "~U is not a pattern popui knows; for unread messages use ~N"),
        ("~F", 0, "POP3 keeps no flags; ~T finds tagged messages"),
        ("~s", 0, "~s needs an expression after it, e.g. ~s invoice"),
        ("~f  ", 0, "~f needs an expression"),
        ("(~s)", 1, "~s needs an expression"),
        ("~s |~f a", 0, "~s needs an expression"),
        ("~z", 0, "~z needs an expression"),
        ("~z 5X", 3, "'5X' is not a size"),
        ("~z >5X", 3, "not a size bound"),
        ("~z 5K-x", 6, "'x' is not a size"),
        ("~z -", 3, "at least one end"),
        ("~z 2M-1M", 3, "is empty"),
        ("~d", 0, "~d needs an expression"),
        ("~d <3x", 3, "not a relative date"),
        ("~d <d", 3, "not a relative date"),
        ("~d 31/02/2023", 3, "not a date in the calendar"),
        ("~d 1/13/2023", 3, "not a date in the calendar"),
        ("~d 2023-01-01", 3, "not a date"),
        ("~d 01/01/2023-xx", 14, "'xx' is not a date"),
        ("~d 05/01/2023-01/01/2023", 3, "is empty"),
        ("~d 01/01/2023*2d", 3, "error margins"),
        ("~s foo[", 6, "not a valid regular expression"),
        ("~s '(a'", 4, "not a valid regular expression"),
        ("~s a(", 4, "not a valid regular expression"),
        ("(~s a", 0, "This ( is never closed"),
        ("((~s a)", 0, "This ( is never closed"),
        ("~s a)", 4, "This ) has no ("),
        (")", 0, "This ) has no ("),
        ("()", 0, "These parentheses are empty"),
        ("!", 0, "! needs a pattern after it"),
        ("~s a !", 5, "! needs a pattern after it"),
        ("!)", 0, "! needs a pattern after it"),
        ("| ~s a", 0, "| needs a pattern on both sides"),
        ("~s a |", 5, "| needs a pattern on both sides"),
        ("~s a || ~s b", 5, "| needs a pattern on both sides"),
        ("(~s a |)", 6, "| needs a pattern on both sides"),
        ('~s "abc', 3, 'This " is never closed'),
        ("'abc", 0, "This ' is never closed"),
        ('""', 0, "Empty quotes"),
        ("~s ''", 3, "~s needs text"),
        ("(", 0, "This ( is never closed"),
        ("( ", 0, "This ( is never closed"),
        ("~s a (", 5, "This ( is never closed"),
        ("(" * 150 + "~A" + ")" * 150, 100, "nest at most"),
    ],
)
def test_errors_say_what_and_where(pattern: str, position: int, words: str) -> None:
    with pytest.raises(PatternError) as info:
        compile_pattern(pattern, now=NOW)
    error = info.value
    assert words in error.problem
    assert error.position == position
    assert f"(column {position + 1})" in str(error)
    assert error.pointer().startswith(" " * position + "^")
    assert error.problem[0].isupper() or error.problem[0] in "~!|'"


def test_pointer_underlines_the_whole_bad_value() -> None:
    with pytest.raises(PatternError) as info:
        compile_pattern("~s a ~d 31/02/2023 ~f b", now=NOW)
    assert info.value.pointer() == " " * 8 + "^" * 10


def test_body_search_counts_the_rows_it_could_not_search() -> None:
    pattern = compile_pattern("~b patch", now=NOW)
    result = pattern.filter(ROWS)
    assert result.rows == [CAROL]
    assert (result.total, result.unsearched) == (4, 2)  # bob and nodate have no body here
    assert pattern.uses_body
    assert result.counts() == "1 of 4; 2 messages not searched (no body text here)"
    many = FilterResult(rows=[ALICE] * 1200, total=100_000, unsearched=1)
    assert many.counts() == "1,200 of 100,000; 1 message not searched (no body text here)"
    assert compile_pattern("~D", now=NOW).filter(ROWS).counts() == "1 of 4"


def test_unsearched_counts_only_rows_whose_body_was_needed() -> None:
    result = compile_pattern("~f bob ~b x", now=NOW).filter(ROWS)
    assert (result.rows, result.unsearched) == ([], 1)  # only bob got as far as ~b
    result = compile_pattern("~b x | ~b y", now=NOW).filter(ROWS)
    assert result.unsearched == 2  # a row counts once however many ~b it meets


def test_no_body_pattern_reports_nothing_unsearched() -> None:
    result = compile_pattern("~s invoice", now=NOW).filter(ROWS)
    assert (len(result.rows), result.total, result.unsearched) == (1, 4, 0)
    assert not compile_pattern("~s x", now=NOW).uses_body


def test_empty_pattern_is_no_filter() -> None:
    assert compile_pattern("  ", now=NOW).empty
    assert not compile_pattern("~A", now=NOW).empty


def test_dates_without_a_zone_are_taken_in_the_local_zone_of_now() -> None:
    plus2 = timezone(timedelta(hours=2))
    now = datetime(2024, 3, 15, 12, 0, tzinfo=plus2)
    late = FakeRow(date=datetime(2024, 3, 14, 23, 30, tzinfo=UTC))  # 15 March, 01:30 at +2
    naive = FakeRow(date=datetime(2024, 3, 15, 1, 30))
    pattern = compile_pattern("~d 15/03/2024", now=now)
    assert pattern.matches(late)
    assert pattern.matches(naive)
    assert not compile_pattern("~d 14/03/2024", now=now).matches(late)


def test_relative_months_and_years_are_calendar_ones() -> None:
    now = datetime(2024, 3, 31, 12, 0, tzinfo=UTC)
    feb29 = FakeRow(date=datetime(2024, 2, 29, 12, 0, 1, tzinfo=UTC))
    feb28 = FakeRow(date=datetime(2024, 2, 28, 12, 0, tzinfo=UTC))
    pattern = compile_pattern("~d <1m", now=now)  # 31 March - 1 month = 29 February
    assert pattern.matches(feb29)
    assert not pattern.matches(feb28)
    assert compile_pattern("~d =1m", now=now).matches(feb29)
    year_ago = FakeRow(date=datetime(2023, 3, 30, tzinfo=UTC))
    assert compile_pattern("~d >1y", now=now).matches(year_ago)


def test_huge_relative_dates_match_everything_dated() -> None:
    pattern = compile_pattern("~d <999999999y", now=NOW)
    assert pattern.matches(CAROL)
    assert not pattern.matches(NODATE)


def test_two_digit_years_follow_mutt() -> None:
    when = FakeRow(date=datetime(1999, 12, 31, 12, tzinfo=UTC))
    assert compile_pattern("~d 31/12/99", now=NOW).matches(when)
    assert compile_pattern("~d 03/01/23", now=NOW).matches(CAROL)


@pytest.mark.parametrize(
    ("expr", "regex"),
    [("alice@example.com", False), ("v1.2", False), ("a|b", True), ("^re", True),
     ("x*", True), ("[PATCH]", True), ("a\\d", True), ("(x)", True), ("a{2}", True),
     ("what?", True), ("$5", True), ("c++", True)],
)
def test_regex_characters(expr: str, regex: bool) -> None:
    assert is_regex(expr) is regex


def test_the_core_imports_no_textual() -> None:
    code = (
        "import sys, popui.patterns, popui.threads\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- history -------------------------------------------------------------------------------

def test_history_walks_back_and_forward_to_the_draft() -> None:
    history = FilterHistory(["~D", "invoice", "~z >5M"])
    assert history.previous("draft") == "~z >5M"
    assert history.previous("ignored") == "invoice"
    assert history.previous("") == "~D"
    assert history.previous("") is None  # the oldest: stay
    assert history.next() == "invoice"
    assert history.next() == "~z >5M"
    assert history.next() == "draft"
    assert history.next() is None


def test_history_keeps_one_copy_newest_last_and_a_limit() -> None:
    history = FilterHistory(limit=3)
    for text in ["a", "b", "a", " ", "c", "d"]:
        history.add(text)
    assert history.entries == ("a", "c", "d")
    history.add("c")
    assert history.entries == ("a", "d", "c")
    assert FilterHistory().previous("x") is None


# --- the property test ---------------------------------------------------------------------
#
# Each strategy yields (pattern text, reference predicate). The references are written from
# the README's table with plain Python, not from the parser's nodes.

Ref = Callable[[FakeRow], bool]
ALPHABET = "abAB é-@.:"
FIELDS: dict[str, tuple[str, ...]] = {
    "f": ("sender", "sender_addr"), "s": ("subject",), "t": ("to",), "c": ("cc",),
    "C": ("to", "cc"), "i": ("message_id",), "b": ("body",),
    "": ("sender", "sender_addr", "subject"),
}
REGEXES = ["a.?b", "^a", "b$", "(a|b)é", "a+b", "[ab]@", "A{2}", "-?b:", r"\.a"]


def _values(row: FakeRow, letter: str) -> list[str | None]:
    return [getattr(row, name) for name in FIELDS[letter]]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _safe_bare(text: str) -> bool:
    return bool(text) and re.fullmatch(r"[a-zA-Zé@:.\-]+", text) is not None and not (
        text[0] in "<>=" or is_regex(text)
    )


@st.composite
def text_term(draw: st.DrawFn) -> tuple[str, Ref]:
    letter = draw(st.sampled_from(list(FIELDS)))
    if letter and draw(st.booleans()):
        regex = draw(st.sampled_from(REGEXES))
        spelled = regex if "|" not in regex and "(" not in regex else _quote(regex)
        if draw(st.booleans()):
            spelled = _quote(regex)

        def ref_regex(row: FakeRow) -> bool:
            return any(
                v is not None and re.search(regex, v, re.IGNORECASE | re.MULTILINE) is not None
                for v in _values(row, letter)
            )

        return f"~{letter} {spelled}", ref_regex
    needle = draw(st.text(ALPHABET, min_size=1, max_size=3).filter(lambda t: t.strip() != ""))
    needle = needle if needle.strip() == needle else needle.strip() or "a"
    spelled = needle if _safe_bare(needle) and draw(st.booleans()) else _quote(needle)
    if letter:
        op = "~" if not is_regex(needle) and draw(st.booleans()) else "="
        text = f"{op}{letter} {spelled}"
    else:
        text = spelled

    def ref_text(row: FakeRow) -> bool:
        return any(
            v is not None and needle.casefold() in v.casefold() for v in _values(row, letter)
        )

    return text, ref_text


@st.composite
def size_term(draw: st.DrawFn) -> tuple[str, Ref]:
    a = draw(st.integers(0, 8))  # few values, so rows often sit on a bound
    b = draw(st.integers(0, 8))
    kind = draw(st.sampled_from(["~>", "~<", "~=", "~range", "~from", "~to", ">", "<", ">=", "<="]))
    k = 1024
    spelled_a = f"{a}K" if draw(st.booleans()) else f"{a}k"
    if kind == "~range":
        low, high = min(a, b), max(a, b)
        return f"~z {low}K-{high}K", lambda r: low * k <= r.size <= high * k
    if kind == "~from":
        return f"~z {spelled_a}-", lambda r: r.size >= a * k
    if kind == "~to":
        return f"~z -{spelled_a}", lambda r: r.size <= a * k
    if kind == "~=":
        return f"~z {spelled_a}", lambda r: r.size == a * k
    op = kind.lstrip("~")
    text = f"~z {op}{spelled_a}" if kind.startswith("~") else f"{op}{spelled_a}"
    compare: dict[str, Ref] = {
        ">": lambda r: r.size > a * k, "<": lambda r: r.size < a * k,
        ">=": lambda r: r.size >= a * k, "<=": lambda r: r.size <= a * k,
    }
    return text, compare[op]


def _day(row: FakeRow) -> date | None:
    return row.date.astimezone(UTC).date() if row.date is not None else None


@st.composite
def date_term(draw: st.DrawFn) -> tuple[str, Ref]:
    kind = draw(st.sampled_from(["<d", ">d", "<w", ">w", "<m", "range", "from", "to", "day"]))
    n = draw(st.integers(1, 2 if kind.endswith("m") else 40))
    if kind in ("<d", ">d", "<w", ">w", "<m"):
        then = (
            NOW.replace(month=NOW.month - n) if kind == "<m"
            else NOW - timedelta(days=n * (7 if kind.endswith("w") else 1))
        )
        if kind[0] == "<":
            return f"~d <{n}{kind[1]}", lambda r: r.date is not None and r.date >= then
        return f"~d >{n}{kind[1]}", lambda r: r.date is not None and r.date < then
    first = NOW.date() - timedelta(days=draw(st.integers(0, 60)))
    last = first + timedelta(days=draw(st.integers(0, 20)))

    def spell(d: date) -> str:
        mutt = f"{d.day:02d}/{d.month:02d}/{d.year}"
        return mutt if draw(st.booleans()) else d.strftime("%Y%m%d")

    if kind == "range":
        text = f"~d {spell(first)}-{spell(last)}"
        return text, lambda r: (d := _day(r)) is not None and first <= d <= last
    if kind == "from":
        return f"~d {spell(first)}-", lambda r: (d := _day(r)) is not None and d >= first
    if kind == "to":
        return f"~d -{spell(first)}", lambda r: (d := _day(r)) is not None and d <= first
    return f"~d {spell(first)}", lambda r: _day(r) == first


FLAG_TERMS: list[tuple[str, Ref]] = [
    ("~A", lambda r: True), ("~D", lambda r: r.marked), ("~T", lambda r: r.tagged),
    ("~N", lambda r: not r.opened),
]

atoms = st.one_of(text_term(), size_term(), date_term(), st.sampled_from(FLAG_TERMS))


def _combine(children: st.SearchStrategy[tuple[str, Ref, str]]) -> st.SearchStrategy[
    tuple[str, Ref, str]
]:
    def negate(c: tuple[str, Ref, str]) -> tuple[str, Ref, str]:
        text, ref, kind = c
        inner = f"({text})" if kind in ("and", "or") else text
        return f"!{inner}", lambda r: not ref(r), "not"

    def conj(cs: list[tuple[str, Ref, str]]) -> tuple[str, Ref, str]:
        text = " ".join(f"({t})" if kind == "or" else t for t, _, kind in cs)
        refs = [ref for _, ref, _ in cs]
        return text, lambda r: all(ref(r) for ref in refs), "and"

    def disj(cs: list[tuple[str, Ref, str]]) -> tuple[str, Ref, str]:
        text = " | ".join(t for t, _, _ in cs)
        refs = [ref for _, ref, _ in cs]
        return text, lambda r: any(ref(r) for ref in refs), "or"

    def paren(c: tuple[str, Ref, str]) -> tuple[str, Ref, str]:
        return f"( {c[0]} )", c[1], "atom"

    return st.one_of(
        children.map(negate),
        st.lists(children, min_size=2, max_size=3).map(conj),
        st.lists(children, min_size=2, max_size=3).map(disj),
        children.map(paren),
    )


patterns = st.recursive(atoms.map(lambda a: (a[0], a[1], "atom")), _combine, max_leaves=8)

field_text = st.text(ALPHABET, max_size=8)
rows = st.builds(
    FakeRow,
    subject=field_text, sender=field_text, sender_addr=field_text, to=field_text, cc=field_text,
    message_id=field_text, body=st.none() | field_text,
    date=st.none() | st.integers(0, 90 * 24 * 60).map(
        lambda minutes: NOW - timedelta(minutes=minutes, seconds=17)
    ),
    size=st.integers(0, 10 * 1024) | st.integers(0, 9).flatmap(  # edges of the bounds too
        lambda n: st.sampled_from([max(n * 1024 - 1, 0), n * 1024, n * 1024 + 1])
    ),
    marked=st.booleans(), tagged=st.booleans(),
    opened=st.booleans(),
)


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(patterns, st.lists(rows, max_size=12))
def test_patterns_agree_with_the_reference_evaluator(
    pattern: tuple[str, Ref, str], sample: list[FakeRow],
) -> None:
    text, reference, _ = pattern
    compiled = compile_pattern(text, now=NOW)
    expected = [row for row in sample if reference(row)]
    assert compiled.filter(sample).rows == expected, text


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text("~!|()\"'\\ =<>-/*abcdfstiAzDTNCb0123KM", max_size=30))
def test_any_text_compiles_or_gives_a_positioned_error(text: str) -> None:
    try:
        pattern = compile_pattern(text, now=NOW)
    except PatternError as error:
        assert 0 <= error.position <= len(text)
        assert error.problem
    else:
        pattern.filter(ROWS)


def test_the_deepest_pattern_allowed_compiles() -> None:
    deep = "(" * 50 + "!" * 50 + "~D" + ")" * 50
    assert compile_pattern(deep, now=NOW).filter(ROWS).rows == [BOB]
    nested_and = "(~A " * 100 + "~D" + ")" * 100
    assert compile_pattern(nested_and, now=NOW).filter(ROWS).rows == [BOB]
    nested_not = "!(~A " * 50 + "~D" + ")" * 50  # fifty "not"s around ~D
    assert compile_pattern(nested_not, now=NOW).filter(ROWS).rows == [BOB]
    wide = " | ".join(["~s nothing-here ~f nobody"] * 2000 + ["~D"])
    assert compile_pattern(wide, now=NOW).filter(ROWS).rows == [BOB]


def test_regular_expressions_with_capitals_ignore_case_too() -> None:
    assert shown(r"~s \[[A-Z]+\]") == ["carol"]
    assert shown(r"~s ^[A-Z]{2}\b") == ["bob", "nodate"]  # "Re", "no"
    assert shown("~s INV[O]ICE") == ["alice"]
    assert shown(r"~f \Aalice") == ["alice"]


def test_the_readme_examples_parse_and_its_error_is_the_real_one() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: patterns -->", 1)[1].split("<!-- section:", 1)[0]
    table = section.split("Examples:", 1)[1].split("\n\n", 2)[1]
    examples = re.findall(r"^\| `(.+?)` \| [^|]+ \|$", table, re.MULTILINE)
    assert len(examples) == 6
    for example in examples:
        compile_pattern(example.replace("\\|", "|"), now=NOW)
    message = re.search(r"^\(`(.+?)`\), and the previous", section, re.MULTILINE)
    assert message is not None
    with pytest.raises(PatternError) as info:
        compile_pattern("~d 31/02/2023", now=NOW)
    assert str(info.value) == message.group(1)
