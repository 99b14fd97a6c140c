"""The fast header summariser agrees with the full field splitter and with the stdlib parser."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, compat32, default
from email.utils import format_datetime, parsedate_to_datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from popui.mail.field_scan import COMMON_DATE as _FAST_SHAPE
from popui.mail.header_block import split_message
from popui.mail.headers import (
    MAX_REFERENCES,
    ROW_COLUMNS,
    _parse_date_email,
    parse_date,
    summarize_headers,
    summarize_row,
    summary_from_fields,
)

FIXED = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])

_LETTERS = "abcxyzABCXYZ0189éüßøЖжλ日本語한"
_NAME = st.text(_LETTERS + " .-'", min_size=1, max_size=24).map(lambda s: " ".join(s.split()))
_LOCAL = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,5})?", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-z]{1,10}\.(com|org|example)", fullmatch=True)
_ADDRESS = st.builds(lambda n, local, d: Address(display_name=n, addr_spec=f"{local}@{d}"),
                     _NAME, _LOCAL, _DOMAIN)
_SUBJECT = st.text(_LETTERS + " .,:;!?()[]<>@\"'/-_=+*&%$#", max_size=120).filter(
    lambda s: "=?" not in s
)
_ID = st.builds(lambda local, d: f"<{local}@{d}>", _LOCAL, _DOMAIN)
_ZONE = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
_DATE = st.datetimes(datetime(1901, 1, 1), datetime(8999, 12, 31), timezones=_ZONE)
_NOISE = st.lists(
    st.tuples(
        st.sampled_from(["Received", "DKIM-Signature", "X-Mailer", "List-Id", "ARC-Seal",
                         "X-From-Line", "Authentication-Results"]),
        st.text("abcXYZ019 =;:<>@.-/+", max_size=300),
    ),
    max_size=6,
)


def _words(text: str) -> str:
    return " ".join(text.split())


def _squeezed(text: str) -> str:
    """Without whitespace: in address fields the stdlib keeps the folding whitespace between
    two encoded words (its own generator splits a name into words there), where RFC 2047 and
    we drop it."""
    return "".join(text.split())


@st.composite
def _stdlib_message(draw: st.DrawFn) -> bytes:
    """A message built and serialised by the stdlib (folded, RFC 2047 where needed)."""
    msg = EmailMessage()
    for name, value in draw(_NOISE):
        msg[name] = value
    sender = draw(_ADDRESS)
    to = draw(st.lists(_ADDRESS, min_size=1, max_size=4))
    cc = draw(st.lists(_ADDRESS, max_size=3))
    refs = draw(st.lists(_ID, max_size=12))
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = draw(_SUBJECT)
    msg["Date"] = format_datetime(draw(_DATE))
    msg["Message-ID"] = draw(_ID)
    if refs:
        msg["In-Reply-To"] = refs[-1]
        msg["References"] = " ".join(refs)
    msg.set_content("body\n")
    return msg.as_bytes(policy=SMTP.clone(max_line_length=draw(st.sampled_from([78, 998]))))


@FIXED
@given(_stdlib_message())
def test_fast_path_agrees_with_the_stdlib_parser(raw: bytes) -> None:
    ours = summarize_headers(raw)
    theirs = message_from_bytes(raw, policy=default)
    old = message_from_bytes(raw, policy=compat32)

    assert ours.subject == _words(str(theirs["subject"]))
    [sender] = theirs["from"].addresses
    assert _squeezed(ours.from_name) == _squeezed(sender.display_name)
    assert ours.from_addr == sender.addr_spec
    for field in ("to", "cc"):
        shown = _squeezed(getattr(ours, field))
        pos = 0
        for address in theirs[field].addresses if theirs[field] else ():
            for part in (_squeezed(address.display_name), address.addr_spec):
                found = shown.find(part, pos)
                assert found >= 0, (field, part, shown)
                pos = found + len(part)
    assert ours.date == theirs["date"].datetime == parsedate_to_datetime(old["date"])
    assert ours.message_id == str(theirs["message-id"]).strip() == old["message-id"].strip()
    references = tuple(str(theirs["references"] or "").split())
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[1 - MAX_REFERENCES :]
    assert ours.references == references
    assert ours.in_reply_to == str(theirs["in-reply-to"] or "").strip()
    assert ours.content_type == theirs.get_content_type()


_FIELD_NAME = st.sampled_from([
    "From", "FROM", "from", "Subject", "subject", "To", "Cc", "CC", "Date", "Reply-To",
    "Message-ID", "Message-Id", "In-Reply-To", "References", "Content-Type",
    "Content-Disposition", "X-MS-Has-Attach", "Received", "X-Subject", "Fromage", "Too",
    "Resent-From", "DKIM-Signature",
])
_VALUE_PART = st.one_of(
    st.text("aZ09 <>@.,;:\"()=?_-/\t", max_size=40),
    st.sampled_from(["=?utf-8?q?caf=C3=A9?=", "=?iso-8859-1?b?Z3L832U=?=", "<a@b.example>",
                     "Tue, 02 Jan 2024 10:00:00 +0100", "multipart/mixed; boundary=x",
                     "\"Doe, Jane\" <jane@example.com>", "caf\xe9", "\u202etxt"]),
)


@st.composite
def _header_block(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    lines = []
    for _ in range(draw(st.integers(0, 14))):
        name = draw(_FIELD_NAME)
        space = draw(st.sampled_from(["", " ", "\t", "  "]))
        parts = draw(st.lists(_VALUE_PART, min_size=1, max_size=4))
        folds = [draw(st.sampled_from([" ", "\t", "  "])) for _ in parts[1:]]
        value = parts[0] + "".join(
            eol.decode() + fold + part for fold, part in zip(folds, parts[1:], strict=True)
        )
        lines.append(f"{name}{space}:{draw(st.sampled_from(['', ' ']))}{value}".encode(
            draw(st.sampled_from(["utf-8", "latin-1"])), "replace"))
        if draw(st.integers(0, 19)) == 0:  # now and then a line that is no field
            lines.append(draw(st.sampled_from([
                b"not a field", b"From nobody Mon Jan  1 00:00:00 2024", b"Subject x", b":x",
                b" continued", b"\tcontinued",
            ])))
    body = draw(st.sampled_from([b"", b"body" + eol, b"From: body@example.com" + eol]))
    return eol.join(lines) + eol + eol + body


@FIXED
@given(_header_block())
@example(b"From nobody Mon Jan  1 00:00:00 2024\nFrom: a@b.example\n\n")
@example(b"Subject: a\r\n\r\nSubject: b\r\n")
@example(b"\r\nSubject: body only\r\n")
@example(b"Subject: x\x0b \r\n\r\n")
@example(b"Subject: bare\rFrom: cr@example.com\r\n\r\n")
@example(b"Subject: a\r\nno field here\r\nFrom: b@example.com\r\n\r\n")
@example(b"From: a@example.com\nFrom nobody Mon Jan 1\nSubject: x\n\n")
@example(b" starts folded\r\nSubject: x\r\n\r\n")
@example(b"Subject: no end")
@example(b"Subject: cr at the end\r")
def test_fast_path_agrees_with_the_full_splitter(raw: bytes) -> None:
    """Field by field, the list row shows what the preview (``split_message``) shows."""
    assert summarize_headers(raw) == summary_from_fields(split_message(raw)[0])


_COMMON_DATE = st.builds(
    lambda dayname, day, month, year, hh, mm, ss, sign, zone, comment: (
        f"{dayname}{day} {month} {year} {hh:02d}:{mm:02d}{ss} {sign}{zone:04d}{comment}"
    ),
    st.sampled_from(["", "Mon, ", "Sun, "]),
    st.sampled_from(["1", "01", "9", "28", "29", "30", "31", "32", "0", "00"]),
    st.sampled_from(["Jan", "Feb", "Apr", "Dec"]),
    st.sampled_from(["1899", "1900", "1969", "2024", "9000", "9001", "0000", "0068", "0069"]),
    st.integers(0, 25), st.integers(0, 61),
    st.sampled_from(["", ":00", ":59", ":60"]),
    st.sampled_from(["+", "-"]),
    st.sampled_from([0, 1, 59, 60, 99, 100, 2359, 2400, 9999]),
    st.sampled_from(["", " (UTC)", " (Central European Time)"]),
)


@FIXED
@given(_COMMON_DATE)
def test_fast_dates_agree_with_email_utils(value: str) -> None:
    assert _FAST_SHAPE.fullmatch(value)  # the generator makes what the fast path reads
    assert parse_date(value) == _parse_date_email(value)
    assert parse_date(value) is None or parse_date(value).utcoffset() == (  # type: ignore[union-attr]
        _parse_date_email(value).utcoffset()  # type: ignore[union-attr]
    )


@FIXED
@given(_COMMON_DATE)
def test_row_dates_are_the_summary_dates(value: str) -> None:
    """A row's date is made without a datetime: the same instant and offset."""
    raw = f"Date: {value}\r\n\r\n".encode()
    assert summarize_row(raw) == summarize_headers(raw).to_row()


def test_minus_zero_zone_is_utc_like_email_utils() -> None:
    assert parse_date("Tue, 02 Jan 2024 10:00:00 -0000") == datetime(2024, 1, 2, 10, tzinfo=UTC)


@FIXED
@given(st.one_of(_header_block(), _stdlib_message()))
def test_row_round_trip(raw: bytes) -> None:
    summary = summarize_headers(raw)
    row = summary.to_row()
    assert len(row) == len(ROW_COLUMNS)
    assert all(v is None or type(v) in (str, int) for v in row)
    db = sqlite3.connect(":memory:")
    db.execute(f"create table s ({', '.join(ROW_COLUMNS)})")
    db.execute(f"insert into s values ({', '.join('?' * len(row))})", row)
    assert db.execute("select * from s").fetchone() == row  # the cache gives back what it got


@FIXED
@given(st.one_of(_header_block(), _stdlib_message()))
@example(b"Date: Tue, 2 Jan 2024 10:00:00 +0100\r\nDate: garbage\r\n\r\n")
@example(b"Date: 2 Jan 2024 10:00 -0000\r\n\r\n")
@example(b"Date: Tue, 29 Feb 2023 10:00:00 +0100\r\n\r\n")
@example(b"Date: Thu, 1 Jan 1970 00:59:59 +0100 (CET)\r\n\r\n")
@example(b"Date: =?utf-8?q?Tue=2C_2_Jan_2024_10=3A00=3A00_+0100?=\r\n\r\n")
@example(b"Date: Tue, 2 Jan 2024 10:00:00 +0100 (=?utf-8?q?=28?=)\r\n\r\n")
@example(b"Date: Tue, 2 Jan 2024 10:00:00 +0100 (a\tb  \xc3\xa9)\r\n\r\n")
@example(b"Subject: bare\rFrom: cr@example.com\r\n\r\n")
def test_the_row_path_gives_the_summary_row(raw: bytes) -> None:
    """What the parser process sends (`summarize_row`) is what the summary would store."""
    assert summarize_row(raw) == summarize_headers(raw).to_row()


def test_thread_fields() -> None:
    raw = (
        b"Message-ID: <child@example.com> (sent by us)\r\n"
        b"In-Reply-To: <parent@example.com> (Jane's message of Monday)\r\n"
        b"References: <root@example.com>\r\n <parent@example.com>\r\n\r\n"
    )
    s = summarize_headers(raw)
    assert s.message_id == "<child@example.com>"
    assert s.in_reply_to == "<parent@example.com>"
    assert s.references == ("<root@example.com>", "<parent@example.com>")
    assert summarize_headers(b"Message-ID: no angle brackets\r\n\r\n").message_id == (
        "no angle brackets"
    )


def test_long_reference_chains_keep_the_root_and_the_newest() -> None:
    ids = [f"<m{i}@example.com>" for i in range(100)]
    s = summarize_headers(b"References: " + " ".join(ids).encode() + b"\r\n\r\n")
    assert len(s.references) == MAX_REFERENCES
    assert s.references[0] == ids[0]
    assert list(s.references[1:]) == ids[1 - MAX_REFERENCES :]


def test_ids_with_control_characters_or_non_ascii_are_not_ids() -> None:
    s = summarize_headers(b"References: <a\x1b[2J@x> <b\xc3\xa9@x> <ok@x>\r\n\r\n")
    assert s.references == ("<ok@x>",)


def test_printable_text_needs_no_cleaning() -> None:
    """``_display`` skips ``clean_line`` for ``str.isprintable()`` text: that is only right
    while every character ``clean_line`` replaces is unprintable (and no space but " " is)."""
    from popui.mail.sanitize import _LINE_TABLE

    assert not [hex(c) for c in _LINE_TABLE if chr(c).isprintable()]
    assert not [hex(c) for c in range(0x110000) if chr(c).isspace() and chr(c).isprintable()
                and c != 0x20]


def test_memos_stay_bounded() -> None:
    from popui.mail import headers

    for i in range(headers._MEMO_SIZE + 10):
        summarize_headers(b"From: a%d@example.com\r\nTo: b%d@example.com\r\n\r\n" % (i, i))
    huge = b"x" * 10_000
    s = summarize_headers(b"From: " + huge + b"@example.com\r\nContent-Type: a/" + huge +
                          b"\r\n\r\n")
    assert (s.from_name + s.from_addr).startswith("xxx")
    assert len(headers._SENDERS) <= headers._MEMO_SIZE
    assert len(headers._RECIPIENTS) <= headers._MEMO_SIZE
    assert all(len(key) <= headers._MEMO_KEY for key in headers._SENDERS)
    assert all(len(key) <= headers._MEMO_KEY for key in headers._CONTENT_TYPES)
