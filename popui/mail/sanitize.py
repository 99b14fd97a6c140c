"""Make untrusted text safe to put on a terminal.

Mail text may carry terminal escapes (clear screen, OSC 52 clipboard writes, OSC 8 links), C1
controls, bidi overrides that reverse what the user reads, and zero-width characters that hide
text. Each of them becomes a visible placeholder, so nothing is silently hidden and nothing
reaches the terminal as control. Markup is not this module's business: callers show the
result as plain text, never as markup.

Both functions are pure ``str -> str`` and return the input unchanged (same object) when it is
already clean, which is the common case.
"""

from __future__ import annotations

import re

#: Placeholder for characters that have no Control Picture (C1, bidi, zero-width, surrogates).
REPLACEMENT = "\ufffd"

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_INVISIBLE = [
    0x180E,  # Mongolian vowel separator (zero width)
    *range(0x200B, 0x200E),  # zero-width space, non-joiner, joiner
    0x2060,  # word joiner
    *range(0x2061, 0x2066),  # invisible math operators (and the unassigned U+2065)
    *range(0x206A, 0x2070),  # deprecated format controls
    0xFEFF,  # zero-width no-break space / BOM
    *range(0xFFF9, 0xFFFC),  # interlinear annotation controls
]

#: Code points that change or hide what is read without being seen: bidi controls, zero-width
#: and other invisible characters, lone surrogates.
INVISIBLE: frozenset[int] = frozenset([*_BIDI, *_INVISIBLE, *range(0xD800, 0xE000)])


def _base_table() -> dict[int, str]:
    table: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}  # Control Pictures
    table[0x7F] = "\u2421"  # ␡
    table.update({c: REPLACEMENT for c in range(0x80, 0xA0)})  # C1, including NEL
    table.update(dict.fromkeys(INVISIBLE, REPLACEMENT))
    return table


_LINE_TABLE = _base_table()
# A line has no breaks: tabs and (unfolded) line breaks become plain spaces.
_LINE_TABLE.update({0x09: " ", 0x0A: " ", 0x0D: " ", 0x2028: " ", 0x2029: " "})

_BLOCK_TABLE = _base_table()
_BLOCK_TABLE.update({0x09: "\t", 0x0A: "\n", 0x2028: "\n", 0x2029: "\n"})
del _BLOCK_TABLE[0x0D]  # CR is turned into a line break before translating

_LINE_BAD = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_LINE_TABLE)) + "]")
_BLOCK_BAD = re.compile(
    "[\r" + "".join(re.escape(chr(c)) for c in sorted(_BLOCK_TABLE) if c not in (9, 10)) + "]"
)


#: Past this many bad characters a text is translated whole (``str.translate`` costs ~50 ms a
#: MB of non-ASCII text, so a clean 5 MB body with CRLF lines is mended where it is bad only).
_SPARSE = 256


def _line_replacement(match: re.Match[str]) -> str:
    return _LINE_TABLE[ord(match.group())]


def clean_line(text: str) -> str:
    """One line of display text (a subject, a name, a filename): no control of any kind."""
    if _LINE_BAD.search(text) is None:
        return text
    # Usually a tab or two of a folded header: replaced where they are (translating a whole
    # non-ASCII header value costs five times as much).
    cleaned, count = _LINE_BAD.subn(_line_replacement, text, _SPARSE)
    return cleaned if count < _SPARSE else cleaned.translate(_LINE_TABLE)


def clean_block(text: str) -> str:
    """Multi-line text (a body): keeps ``\\n`` and ``\\t``; CRLF and lone CR become ``\\n``."""
    if _BLOCK_BAD.search(text) is None:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[str] = []
    end = 0
    for count, match in enumerate(_BLOCK_BAD.finditer(text)):
        if count == _SPARSE:
            return text.translate(_BLOCK_TABLE)
        pieces += (text[end : match.start()], _BLOCK_TABLE[ord(match.group())])
        end = match.end()
    if not pieces:
        return text
    pieces.append(text[end:])
    return "".join(pieces)


def is_clean_line(text: str) -> bool:
    """True when ``clean_line`` would leave ``text`` unchanged (for tests and assertions)."""
    return _LINE_BAD.search(text) is None


def is_clean_block(text: str) -> bool:
    """True when ``clean_block`` would leave ``text`` unchanged."""
    return _BLOCK_BAD.search(text) is None
