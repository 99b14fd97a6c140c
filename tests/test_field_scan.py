"""The C field scanner (``popui/mail/_field_scan.c``) against its Python reference.

List rows of a cold fill take their fields and dates from the C versions when they are built;
the Python ones (``wanted_values_python``, ``date_stamp_python``) are what the summary tests
were written against. Both must give the same answer for any bytes: the same values, or None
for the same input.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from realistic_headers import corpus

from popui.mail import field_scan
from popui.mail.field_scan import date_stamp_python, wanted_values_python


def _compiled() -> ModuleType:
    try:
        return importlib.import_module("popui.mail._field_scan")
    except ImportError:
        reason = "popui.mail._field_scan is not built (no C compiler at install?)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is an error, not a skip")
        pytest.skip(reason)


_TOKENS = st.sampled_from([
    b"From", b"fRoM", b"from", b"Subject", b"SUBJECT", b"To", b"Cc", b"Date", b"Reply-To",
    b"Message-ID", b"message-id", b"In-Reply-To", b"References", b"Content-Type",
    b"content-disposition", b"X-MS-Has-Attach", b"Received", b"Toto", b"Fromage", b"X-Subject",
    b":", b": ", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"\n\t", b"\r\n ", b"a", b"x y",
    b"<a@b.example>", b"\x0b", b"\x0c", b"\x00", b"\xe9", b"\xc3\xa9", b"=?utf-8?q?x?=",
    b"From nobody", b"c" * 25, b"content-disposition-x", b"-", b"~", b"\x7f",
])
_SOUP = st.lists(_TOKENS, max_size=80).map(b"".join)


@settings(max_examples=2000)
@given(st.one_of(_SOUP, st.binary(max_size=300)))
@example(b"")
@example(b"\n")
@example(b"\r\n")
@example(b"\r")
@example(b"Subject: no end")
@example(b"Subject: cr at the end\r")
@example(b"Subject: a\r\n\r\nSubject: b\r\n")
@example(b"Subject:\r\n \r\n\tx \x0b\r\n\r\n")
@example(b"Subject: bare\rFrom: cr@example.com\r\n\r\n")
@example(b"From: a@example.com\nFrom nobody Mon Jan 1\nSubject: x\n\n")
@example(b"X: y\nTo \t :a\nto:b\nTO:c\n")
@example(b"X: y\ncontent-dispositionn: z\ncontent-disposition : w\n\n")
@example(b"X: y\nSubject: a\n \n")
@example(b"X: y\nSubject: a\r\n \r")
def test_c_and_python_agree(raw: bytes) -> None:
    assert _compiled().wanted_values(raw) == wanted_values_python(raw)


def test_c_and_python_agree_on_realistic_headers() -> None:
    scan = _compiled().wanted_values
    for raw in corpus(300):
        values = scan(raw)
        assert values is not None and values["from"] and values["subject"]
        assert values == wanted_values_python(raw)


_DATE_PART = st.sampled_from([
    b"Mon, ", b"Sun, ", b"Mon,", b"Xyz, ", b"mon, ", b"0", b"1", b"2", b"3", b"9", b"12", b"31",
    b"29", b"123", b" ", b"  ", b"Jan", b"Feb", b"Dec", b"jan", b"Jun ", b"1900", b"2024",
    b"2000", b"9000", b"9001", b"0068", b"0069", b"1899", b":", b":00", b":59", b":60", b"23",
    b"24", b"+", b"-", b"0000", b"2359", b"9999", b"1400", b"(", b")", b" (UTC)", b" (a=b)",
    b" ((x))", b"\xe9", b"\x00", b"\t", b"\r\n", b"\x7f",
])


@st.composite
def _date(draw: st.DrawFn) -> bytes:
    """The common shape, its fields drawn near their limits, now and then one token off."""
    parts = [
        draw(st.sampled_from([b"", b"Tue, ", b"Sat, "])),
        draw(st.sampled_from([b"1", b"01", b"0", b"00", b"28", b"29", b"30", b"31", b"32"])),
        b" ", draw(st.sampled_from([b"Jan", b"Feb", b"Apr", b"Dec"])), b" ",
        draw(st.sampled_from([b"1899", b"1900", b"1904", b"2000", b"2023", b"2024", b"2100",
                              b"9000", b"9001", b"0000", b"0068", b"0069", b"0099"])),
        b" ", b"%02d" % draw(st.integers(0, 25)), b":", b"%02d" % draw(st.integers(0, 61)),
        draw(st.sampled_from([b"", b":00", b":59", b":60"])), b" ",
        draw(st.sampled_from([b"+", b"-"])),
        b"%04d" % draw(st.sampled_from([0, 1, 59, 60, 99, 100, 1400, 2359, 2400, 9999])),
        draw(st.sampled_from([b"", b" (UTC)", b" (CET)", b" ()", b" (a=b)", b" (x"])),
    ]
    if draw(st.booleans()):
        parts[draw(st.integers(0, len(parts) - 1))] = draw(_DATE_PART)
    return b"".join(parts)


@settings(max_examples=3000)
@given(st.one_of(_date(), st.lists(_DATE_PART, max_size=20).map(b"".join), st.binary(max_size=60)))
@example(b"Tue, 01 Feb 2025 00:04:00 +0100")
@example(b"1 Jan 1970 00:00 +0000")
@example(b"29 Feb 2000 23:59:59 -1400 (x)")
@example(b"29 Feb 2100 12:00 +0000")
@example(b"31 Dec 9000 23:59:59 -2359")
@example(b"1 Jan 1900 00:00 +2359")
@example(b"1 Jan 0069 00:00 +0000")
@example(b"1 Jan 2024 00:00 +0000 ")
@example(b"1 Jan 2024 00:00 +0000 (a) (b)")
def test_c_and_python_read_dates_alike(value: bytes) -> None:
    assert _compiled().date_stamp(value) == date_stamp_python(value)


def test_the_app_uses_the_c_versions_when_they_are_built() -> None:
    assert field_scan.wanted_values is _compiled().wanted_values
    assert field_scan.date_stamp is _compiled().date_stamp


def test_only_bytes() -> None:
    with pytest.raises(TypeError):
        _compiled().wanted_values("Subject: x\n\n")
    with pytest.raises(TypeError):
        _compiled().date_stamp("1 Jan 2024 00:00 +0000")
