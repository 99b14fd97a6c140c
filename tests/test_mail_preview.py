"""Preview of a ``TOP n N`` answer: decode as far as the cut data allows."""

from __future__ import annotations

import base64
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from popui.mail.preview import (
    NOTICE_ATTACHMENT_FIRST,
    NOTICE_HTML,
    NOTICE_NO_TEXT,
    Preview,
    _after_line,
    _parts,
    parse_preview,
)
from popui.mail.sanitize import clean_block, is_clean_block, is_clean_line

MIXED = b"""From: Ann <ann@example.com>
Subject: report
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe,
this line is soft=
 broken.
--inner
Content-Type: text/html; charset=utf-8

<p>html</p>
--inner--
--outer
Content-Type: application/pdf; name=a.pdf
Content-Disposition: attachment; filename=a.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
"""


def _check_clean(preview: Preview) -> None:
    assert all(is_clean_line(v) for v in vars(preview.summary).values() if isinstance(v, str))
    assert all(is_clean_block(line) and "\n" not in line for line in preview.body_lines)


def test_plain_part_of_nested_alternative() -> None:
    p = parse_preview(MIXED)
    assert p.summary.subject == "report"
    assert p.summary.display_sender == "Ann"
    assert p.body_lines == ("Grüße,", "this line is soft broken.")
    assert (p.text_source, p.notice) == ("plain", None)


def test_plain_is_preferred_even_when_html_comes_first() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=a\n\n"
        b"--a\nContent-Type: text/html\n\n<p>the html</p>\n"
        b"--a\nContent-Type: text/plain\n\nthe plain\n--a--\n"
    )
    p = parse_preview(raw)
    assert (p.body_lines, p.text_source) == (("the plain",), "plain")


def test_base64_cut_mid_group_and_mid_character() -> None:
    text = "Zeile eins\nZeile zwei mit Umlaut ä und mehr\n".encode()
    encoded = base64.encodebytes(text)
    cut = encoded[:45]  # inside a group, and the last whole group ends inside "ä"
    head = b"Subject: b64\nContent-Type: text/plain; charset=utf-8\n"
    p = parse_preview(head + b"Content-Transfer-Encoding: base64\n\n" + cut)
    assert p.body_lines[0] == "Zeile eins"
    assert p.body_lines[1].startswith("Zeile zwei mit Umlaut")
    _check_clean(p)


def test_quoted_printable_cut_inside_an_escape() -> None:
    raw = (
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    )
    p = parse_preview(raw + b"caf=C3=A9 and =C3")
    assert p.body_lines[0].startswith("café and")
    p = parse_preview(raw + b"caf=C3=A9 =")
    assert p.body_lines == ("café ",)


def test_html_only_is_converted_with_a_notice() -> None:
    raw = b"Content-Type: text/html\n\n<html><body><p>Hello <b>there</b></p><img src=x></body>"
    p = parse_preview(raw)
    assert p.body_lines == ("Hello there",)
    assert (p.text_source, p.notice) == ("html", NOTICE_HTML)


def test_attachment_first() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\n\niVBORw0KGgo="
    )
    p = parse_preview(raw)
    assert (p.body_lines, p.text_source, p.notice) == ((), "none", NOTICE_ATTACHMENT_FIRST)


def test_cut_before_the_first_boundary() -> None:
    p = parse_preview(b"Content-Type: multipart/mixed; boundary=b\n\npreamble only\n")
    assert (p.body_lines, p.notice) == ((), NOTICE_NO_TEXT)


def test_missing_boundary_parameter_shows_the_body_as_text() -> None:
    p = parse_preview(b"Content-Type: multipart/mixed\n\n--x\n\ntext\n")
    assert (p.body_lines, p.notice) == (("--x", "", "text"), None)


def test_charset_comes_from_the_part() -> None:
    body = "日本語のテキスト\n".encode("iso-2022-jp")
    p = parse_preview(b"Content-Type: text/plain; charset=ISO-2022-JP\n\n" + body)
    assert p.body_lines == ("日本語のテキスト",)


def test_headers_only_and_empty() -> None:
    assert parse_preview(b"Subject: only\r\n\r\n").body_lines == ()
    assert parse_preview(b"Subject: only\r\n\r\n").summary.subject == "only"
    assert parse_preview(b"").body_lines == ()
    assert parse_preview(b"").text_source == "none"


def test_terminal_control_in_body_is_neutralised() -> None:
    p = parse_preview(
        b"Subject: x\n\nhello \x1b[2J\x1b]52;c;QQ==\x07 \xe2\x80\xae world\r\nnext\rline\n"
    )
    assert p.body_lines == ("hello ␛[2J␛]52;c;QQ==␇ \ufffd world", "next", "line")


def test_max_lines() -> None:
    p = parse_preview(b"\n" + b"line\n" * 1000, max_lines=10)
    assert p.body_lines == ("line",) * 10


def test_complete_message_decodes_the_unpadded_tail() -> None:
    raw = b"Content-Transfer-Encoding: base64\n\nYWJjZGU"  # "abcde" without padding
    assert parse_preview(raw, complete=True).body_lines == ("abcde",)
    assert parse_preview(raw).body_lines == ("abc",)


def test_deep_nesting_does_not_raise() -> None:
    depth = 1500
    head = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)
    )
    raw = b"Content-Type: multipart/mixed; boundary=b0\n\n" + head + b"--b1500\n\ndeep text\n"
    p = parse_preview(raw)
    assert p.notice == NOTICE_NO_TEXT  # deeper than MAX_DEPTH is not looked into


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check_clean(parse_preview(raw))


_PIECES = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: multipart/alternative; boundary=b\n",
        b"Content-Type: text/html; charset=utf-16\n",
        b"Content-Type: text/plain; charset=iso-2022-jp\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"Content-Disposition: attachment\n",
        b"--b\n",
        b"--b--\n",
        b"\n",
        b"=C3=A9=\n",
        b"w6k=\n",
        b"<p>x</p>\x1b[2J\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.binary(max_size=20)), max_size=30), st.booleans())
def test_arbitrary_mime_shapes(pieces: list[bytes], complete: bool) -> None:
    _check_clean(parse_preview(b"".join(pieces), complete=complete))


def _parts_line_by_line(body: bytes, boundary: bytes) -> list[bytes]:
    """The splitter before it searched with bytes.find: the reference for the one in use."""
    delimiter = b"--" + boundary
    parts: list[bytes] = []
    current: list[bytes] | None = None
    for line in re.findall(rb"[^\r\n]*(?:\r\n|\n|\r|$)", body):
        if line.startswith(delimiter):
            rest = line[len(delimiter) :].rstrip()
            if rest in (b"", b"--"):
                if current is not None:
                    parts.append(b"".join(current))
                current = None if rest == b"--" else []
                if rest == b"--":
                    break
                continue
        if current is not None:
            current.append(line)
    if current is not None:
        parts.append(b"".join(current))
    return parts


@given(st.lists(st.sampled_from([b"--b", b"--b--", b"--bb", b"x--b", b"\r\n", b"\n", b"\r",
                                 b" ", b"\t", b"--", b"text", b"-"]), max_size=40))
def test_parts_split_as_line_by_line_did(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    assert _parts(body, b"b") == _parts_line_by_line(body, b"b")


@given(st.lists(st.sampled_from(["word ", "\r\n", "\n", "\r", "\u2028", "\x1b", "\t", "é"]),
                max_size=60), st.integers(min_value=1, max_value=12))
def test_cleaning_the_first_lines_only_gives_the_same_first_lines(
    pieces: list[str], n: int,
) -> None:
    text = "".join(pieces)
    head = text[: _after_line(text, n)]
    assert clean_block(head).split("\n", n)[:n] == clean_block(text).split("\n", n)[:n]
