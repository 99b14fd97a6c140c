"""The C field scanner (``popui/mail/_field_scan.c``) against its Python reference.

List rows of a cold fill take their fields from the C version when it is built; the Python one
(``wanted_values_python``) is what the summary tests were written against. Both must give the
same answer for any bytes: the same values, or None for the same blocks.
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
from popui.mail.field_scan import wanted_values_python


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


def test_the_app_uses_the_c_version_when_it_is_built() -> None:
    assert field_scan.wanted_values is _compiled().wanted_values


def test_only_bytes() -> None:
    with pytest.raises(TypeError):
        _compiled().wanted_values("Subject: x\n\n")
