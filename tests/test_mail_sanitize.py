"""Terminal control in untrusted text becomes visible placeholders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from popui.mail.sanitize import clean_block, clean_line, is_clean_block, is_clean_line

DANGEROUS = [
    "\x1b[2J",  # clear screen
    "\x1b]0;owned\x07",  # OSC title
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52 clipboard write
    "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 link
    "\x1b[6n",  # cursor position report request
    "\x9b2J",  # C1 CSI
    "\x00\x7f\x85",
    "abc\u202edcba\u202c",
    "\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    "a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "\udcff",  # lone surrogate (from surrogateescape) would crash the terminal writer
]


def _forbidden(text: str, *, block: bool) -> list[str]:
    allowed = "\n\t" if block else ""
    return [
        c
        for c in text
        if (ord(c) < 0x20 and c not in allowed)
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
        or c in "\u200b\u200c\u200d\ufeff\u2060"
        or 0xD800 <= ord(c) <= 0xDFFF
    ]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_neutralised_but_visible(text: str) -> None:
    for cleaned, block in ((clean_line(text), False), (clean_block(text), True)):
        assert _forbidden(cleaned, block=block) == []
        assert len(cleaned) == len(text)  # one placeholder per character: nothing hidden


def test_escape_uses_control_pictures() -> None:
    assert clean_line("a\x1b[2Jb\x00\x7f") == "a\u241b[2Jb\u2400\u2421"


def test_line_turns_breaks_and_tabs_into_spaces() -> None:
    assert clean_line("a\r\nb\tc\nd\re") == "a  b c d e"


def test_block_keeps_newlines_and_tabs_and_normalises_cr() -> None:
    assert clean_block("a\r\nb\tc\rd\n") == "a\nb\tc\nd\n"
    assert clean_block("safe\rEVIL") == "safe\nEVIL"  # CR cannot overwrite what was shown


def test_clean_text_is_returned_as_is() -> None:
    text = "Grüße, 日本語, emoji 🎉, tab-free"
    assert clean_line(text) is text
    assert clean_block(text + "\n\tx") == text + "\n\tx"


@given(st.text())
def test_any_text_comes_out_clean(text: str) -> None:
    line, block = clean_line(text), clean_block(text)
    assert _forbidden(line, block=False) == []
    assert _forbidden(block, block=True) == []
    assert is_clean_line(line)
    assert is_clean_block(block)
    assert clean_line(line) == line  # idempotent
    assert clean_block(block) == block


def _translated(text: str) -> str:
    """What clean_block did before it mended bad characters one by one: translate it all."""
    from popui.mail.sanitize import _BLOCK_TABLE

    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_BLOCK_TABLE)


@given(st.lists(st.sampled_from(["plain words ", "café\r\n", "\x1b[2J", "\u202e", "\t", "\x85",
                                 "\u2028", "\r", "\n", "zero\u200bwidth "]), max_size=600))
def test_block_mends_few_or_many_bad_characters_as_translating_all_would(
    pieces: list[str],
) -> None:
    text = "".join(pieces)
    assert clean_block(text) == _translated(text)


@given(st.lists(st.sampled_from(["plain words ", "café", "\x1b[2J", "\u202e", "\t", "\x85",
                                 "\u2028", "\r\n", "\u2400", "\ufffd", "zero\u200bwidth "]),
                max_size=600))
def test_line_mends_few_or_many_bad_characters_as_translating_all_would(
    pieces: list[str],
) -> None:
    from popui.mail.sanitize import _LINE_TABLE

    text = "".join(pieces)
    assert clean_line(text) == text.translate(_LINE_TABLE)
