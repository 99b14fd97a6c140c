"""The fast header path for list rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popui.mail.decode import decode_bytes, decode_words
from popui.mail.headers import MAX_FIELD, HeaderSummary, parse_date, summarize_headers
from popui.mail.sanitize import is_clean_line
from popui.rows import Row


def _strings(summary: HeaderSummary) -> list[str]:
    return [v for v in vars(summary).values() if isinstance(v, str)]


def test_plain_message() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\r\n"
        b'To: a@example.com,\r\n "B, C" <bc@example.com>\r\n'
        b"Cc: cc@example.com\r\n"
        b"Reply-To: replies@example.com\r\n"
        b"Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus\r\n =?utf-8?b?5pel5pys?=\r\n"
        b"Date: Tue, 02 Jan 2024 10:00:00 +0100\r\n"
        b"Message-ID: <abc@example.de>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n"
    )
    s = summarize_headers(raw)
    assert s.subject == "Grüße aus 日本"
    assert (s.from_name, s.from_addr) == ("Jörg Müller", "joerg@example.de")
    assert s.display_sender == "Jörg Müller"
    assert s.from_full == "Jörg Müller <joerg@example.de>"
    assert s.to == 'a@example.com, "B, C" <bc@example.com>'
    assert (s.cc, s.reply_to) == ("cc@example.com", "replies@example.com")
    assert s.date == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert s.date_raw == "Tue, 02 Jan 2024 10:00:00 +0100"
    assert s.message_id == "<abc@example.de>"
    assert s.content_type == "text/plain"
    assert not s.has_attachment_hint


def test_display_sender_falls_back_to_address() -> None:
    s = summarize_headers(b"From: <only@example.com>\n\n")
    assert s.display_sender == "only@example.com"
    assert summarize_headers(b"From: Just A Name\n\n").display_sender == "Just A Name"


def test_encoded_name_cannot_fake_the_address() -> None:
    s = summarize_headers(b"From: =?utf-8?q?Bank_<ceo@bank.example>?= <x@evil.example>\n\n")
    assert s.from_addr == "x@evil.example"
    assert s.from_name == "Bank <ceo@bank.example>"


@pytest.mark.parametrize(
    ("value", "name", "addr"),
    [
        (b'"Doe, Jane" <jane@example.com>', "Doe, Jane", "jane@example.com"),
        (b'"say \\"hi\\"" <q@example.com>', 'say "hi"', "q@example.com"),
        (b"jane@example.com (Jane Doe)", "Jane Doe", "jane@example.com"),
        (b"a <a@example.com>, b <b@example.com>", "a", "a@example.com"),
        (b"Odd [name] <odd@example.com>", "Odd [name]", "odd@example.com"),
    ],
)
def test_sender_shapes(value: bytes, name: str, addr: str) -> None:
    s = summarize_headers(b"From: " + value + b"\n\n")
    assert (s.from_name, s.from_addr) == (name, addr)


def test_multibyte_character_split_across_encoded_words() -> None:
    assert decode_words("=?utf-8?b?5pel5g==?= =?utf-8?b?nKzoqp4=?=") == "日本語"


@pytest.mark.parametrize(
    ("raw", "subject"),
    [
        (b"Subject: caf\xc3\xa9\n\n", "café"),  # raw UTF-8
        (b"Subject: caf\xe9\n\n", "café"),  # raw Latin-1
        (b"Subject: =?x-no-such-charset?q?caf=E9?=\n\n", "café"),
        (b"Subject: =?utf-8?q?caf=E9?=\n\n", "café"),  # mislabelled
        (b"Subject: =?base64?b?Y2Fm?=\n\n", "caf"),  # a bytes codec is no charset
        (b"Subject: =?utf-8?q?unterminated\n\n", "=?utf-8?q?unterminated"),
        (b"Subject: first\nSubject: second\n\n", "first"),
        (b"Subject: a\n\tfolded\r\n  line\n\n", "a folded line"),
        (b"Subject: =?utf-8?q?a=0D=0Ab?=\n\n", "a b"),
    ],
)
def test_subject_decoding(raw: bytes, subject: str) -> None:
    assert summarize_headers(raw).subject == subject


def test_terminal_control_in_headers_is_neutralised() -> None:
    raw = (
        b"Subject: =?utf-8?q?=1B]52;c;cm0=07_=1B[2J_=E2=80=AEtxt.exe?=\n"
        b"From: \x1b[31mred\x1b[0m <a@b.example>\n\n"
    )
    s = summarize_headers(raw)
    assert s.subject == "␛]52;c;cm0␇ ␛[2J \ufffdtxt.exe"
    assert s.from_name == "␛[31mred␛[0m"
    assert all(is_clean_line(v) for v in _strings(s))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "Tue, 1 Jan 99999 10:00:00 +0000",
        "Tue, 1 Jan 1000 00:00:00 +0000",
        "Fri, 31 Dec 9999 23:59:59 -2359",
        "Mon, 1 Jan 2024 10:00:00 +9999",
        "Mon, 99 Foo 2024 99:99:99 +0000",
    ],
)
def test_unusable_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


def test_date_without_zone_is_utc() -> None:
    assert parse_date("Tue, 02 Jan 2024 10:00:00 -0000") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    cet = timezone(timedelta(hours=1))
    assert parse_date("2 Jan 2024 10:00 +0100") == datetime(2024, 1, 2, 10, tzinfo=cet)


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b"Content-Type: multipart/mixed; boundary=x\n\n", True),
        (b"Content-Type: MULTIPART/MIXED\n\n", True),
        (b"X-MS-Has-Attach: yes\n\n", True),
        (b"Content-Disposition: attachment; filename=a.pdf\n\n", True),
        (b"Content-Type: multipart/alternative; boundary=x\n\n", False),
        (b"X-MS-Has-Attach:\n\n", False),
        (b"Subject: x\n\n", False),
    ],
)
def test_attachment_hint(raw: bytes, hint: bool) -> None:
    assert summarize_headers(raw).has_attachment_hint is hint


def test_content_type_defaults_to_text_plain() -> None:
    assert summarize_headers(b"Subject: x\n\n").content_type == "text/plain"
    assert summarize_headers(b"Content-Type: Text/HTML\n\n").content_type == "text/html"


def test_huge_header_is_capped() -> None:
    s = summarize_headers(b"Subject: " + b"x" * 100_000 + b"\n\n")
    assert len(s.subject) == MAX_FIELD
    assert s.subject.endswith("…")


def test_charset_fallbacks_never_raise() -> None:
    assert decode_bytes(b"caf\xe9", "utf-8") == "café"
    assert decode_bytes(b"caf\xe9", "no-such") == "café"
    assert decode_bytes("日本".encode("shift_jis"), "shift_jis") == "日本"
    assert decode_bytes(b"\x1b$BF|K\\\x1b(B", "ISO-2022-JP") == "日本"
    assert decode_bytes(b"\x81", "us-ascii") == "\x81"  # left for the sanitiser


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_clean_summary(raw: bytes) -> None:
    s = summarize_headers(raw)
    assert isinstance(s, HeaderSummary)
    assert all(is_clean_line(v) for v in _strings(s))


_HEADER_LINE = st.tuples(
    st.sampled_from([b"Subject", b"From", b"To", b"Cc", b"Date", b"Reply-To", b"Content-Type"]),
    st.binary(max_size=200),
).map(lambda t: t[0] + b": " + t[1] + b"\r\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEADER_LINE, max_size=12))
def test_arbitrary_header_values_give_a_clean_summary(lines: list[bytes]) -> None:
    s = summarize_headers(b"".join(lines) + b"\r\nbody")
    assert all(is_clean_line(v) for v in _strings(s))
    assert s.date is None or s.date.tzinfo is not None


def test_sender_label_shows_the_address_when_the_name_could_pass_for_one() -> None:
    from popui.mail.headers import sender_label

    assert sender_label("Alice Example", "a@example.com") == "Alice Example"
    assert sender_label("", "a@example.com") == "a@example.com"
    assert sender_label("a@example.com", "a@example.com") == "a@example.com"
    for name in ("billing@bank.example", "bank.example", "PayPal.com Support", "www.bank.co.uk",
                 "billing＠bank", "bank。example"):
        assert sender_label(name, "x@evil.example") == f"{name} <x@evil.example>", name
    assert sender_label("Dr. Smith", "x@evil.example") == "Dr. Smith"


@settings(max_examples=200, deadline=None)
@given(st.lists(_HEADER_LINE, max_size=12))
def test_a_row_filled_from_the_compact_summary_shows_the_summary(lines: list[bytes]) -> None:
    """Rows are filled from ``to_row`` values (parser process, cache) without cleaning again:
    they must show what the summary says, and only clean text."""
    s = summarize_headers(b"".join(lines) + b"\r\n")
    row = Row(1, "u", 10)
    row.fill_row(s.to_row())
    assert (row.subject, row.sender, row.sender_addr, row.to, row.cc, row.message_id,
            row.in_reply_to, row.references.split(), row.attachment) == (
        s.subject, s.display_sender, s.from_addr, s.to, s.cc, s.message_id, s.in_reply_to,
        list(s.references), s.has_attachment_hint)
    if s.date is None:
        assert row.date is None and row.stamp == float("-inf")
    else:
        assert row.date == s.date.replace(microsecond=0)
        assert row.date.utcoffset() == s.date.utcoffset()
        assert row.stamp == round(s.date.timestamp())
        assert type(row.stamp) is float  # sorting compares floats on CPython's fast path
    assert all(is_clean_line(v) for v in (row.subject, row.sender, row.to, row.cc))
    assert row.loaded and not row.error
