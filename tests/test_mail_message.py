"""Full-view parsing: mail-parser first, then the stdlib, then raw text; never a crash."""

from __future__ import annotations

import base64
import logging

import pytest

from popui.mail.message import NOTICE_HTML, NOTICE_TOO_DEEP, ParsedMessage, parse_message
from popui.mail.sanitize import is_clean_block, is_clean_line

MIXED = b"""From: =?utf-8?q?J=C3=B6rg?= <j@example.de>
To: you@example.com
Subject: =?utf-8?q?Bericht_=E2=80=AE?=
Subject: second subject
Date: Tue, 02 Jan 2024 10:00:00 +0100
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe \x1b]52;c;cm0gLXJmIH4=\x07
--inner
Content-Type: text/html; charset=utf-8

<p>html</p>
--inner--
--outer
Content-Type: application/pdf; name=a.pdf
Content-Disposition: attachment; filename="../../etc/=?utf-8?q?pass=E2=80=AEwd?="
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
"""


def check_clean(parsed: ParsedMessage) -> None:
    """Every string the full view can show is free of terminal control."""
    for name, value in parsed.headers:
        assert is_clean_line(name) and is_clean_line(value)
    assert all(is_clean_line(v) for v in vars(parsed.summary).values() if isinstance(v, str))
    assert is_clean_block(parsed.text)
    assert all(is_clean_line(n) for n in parsed.notices)
    for att in parsed.attachments:
        assert is_clean_line(att.filename) and is_clean_line(att.content_type)
        assert "/" not in att.safe_filename and "\\" not in att.safe_filename
        assert is_clean_line(att.safe_filename) and not att.safe_filename.startswith(".")


def test_mixed_message(capfd: pytest.CaptureFixture[str]) -> None:
    p = parse_message(MIXED)
    assert p.summary.subject == "Bericht \ufffd"  # the first Subject, the override neutralised
    assert p.summary.from_name == "Jörg"
    assert ("Subject", "second subject") in p.headers
    assert [name for name, _ in p.headers][:3] == ["From", "To", "Subject"]
    assert p.text == "Grüße ␛]52;c;cm0gLXJmIH4=␇\n"
    assert (p.text_source, p.notices) == ("plain", ())
    [att] = p.attachments
    assert (att.filename, att.safe_filename) == ("../../etc/pass\ufffdwd", "passwd")
    assert (att.content_type, att.size, att.data()) == ("application/pdf", 9, b"%PDF-1.4\n")
    assert p.raw == MIXED
    check_clean(p)
    assert capfd.readouterr() == ("", "")


def test_html_only() -> None:
    p = parse_message(b"Content-Type: text/html\n\n<p>Hi <a href='http://x.example/'>there</a></p>")
    assert p.text_source == "html"
    assert p.notices == (NOTICE_HTML,)
    assert p.text.startswith("Hi [there][1]")
    assert "http://x.example/" in p.text


def test_no_text() -> None:
    raw = b"Content-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
    p = parse_message(raw)
    assert (p.text, p.text_source) == ("", "none")
    [att] = p.attachments
    assert att.safe_filename == "attachment-1.png"
    assert att.data() == b"\x89PNG\r\n\x1a\n"


def test_empty_and_headers_only() -> None:
    assert parse_message(b"").text_source == "none"
    p = parse_message(b"Subject: only headers\r\n")
    assert p.summary.subject == "only headers"
    assert p.text == ""


def _nested(depth: int) -> bytes:
    head = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)
    )
    tail = b"".join(b"--b%d--\n" % i for i in range(depth, -1, -1))
    inner = b"--b%d\nContent-Type: text/plain\n\ndeep text\n" % depth
    return b"Subject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n" + head + inner + tail


def test_moderate_nesting_parses_normally() -> None:
    p = parse_message(_nested(100))
    assert (p.text, p.notices) == ("deep text\n", ())


def test_absurd_nesting_falls_back_with_a_notice(capfd: pytest.CaptureFixture[str]) -> None:
    p = parse_message(_nested(1500))
    assert p.summary.subject == "deep"
    assert p.notices == (NOTICE_TOO_DEEP,)
    assert "deep text" in p.text
    check_clean(p)
    assert capfd.readouterr() == ("", "")


def test_stdlib_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import popui.mail.message as message

    def broken(raw: bytes) -> None:
        raise ValueError("mail-parser bug")

    monkeypatch.setattr(message.mailparser, "parse_from_bytes", broken)
    p = parse_message(MIXED)
    assert p.notices == ("Parsed with the fallback parser: mail-parser failed (ValueError)",)
    assert p.text == "Grüße ␛]52;c;cm0gLXJmIH4=␇\n"
    [att] = p.attachments
    assert (att.safe_filename, att.data()) == ("passwd", b"%PDF-1.4\n")


def test_big_attachment_is_decoded_on_demand() -> None:
    blob = bytes(range(256)) * 8192  # 2 MiB, above KEEP_DECODED
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nsee attached\n"
        b"--b\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=blob.bin\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(blob) + b"--b--\n"
    )
    p = parse_message(raw)
    [att] = p.attachments
    assert att.size == len(blob)
    assert att.data() == blob


def test_mailparser_logs_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()  # an app that turns logging on, to stderr
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("popui.test").warning("visible")
        assert "visible" in capfd.readouterr().err  # the set-up does show log lines
        raw = b"Subject: \xff\xfe\x1b[2J\nContent-Type: text/weird; charset=nonsense\n\n\xff\xfe"
        parse_message(raw)
        parse_message(MIXED)
        parse_message(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\nepilogue")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert capfd.readouterr() == ("", "")
