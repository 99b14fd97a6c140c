"""Message identity keys: kinds never collide, fingerprints ignore line endings."""

from __future__ import annotations

from popui.pop3.identity import (
    fingerprint,
    fingerprint_size,
    is_fingerprint,
    is_session_key,
    is_uidl,
    session_key,
)


def test_fingerprint_is_size_and_header_hash() -> None:
    header = b"From: a@example.com\r\nSubject: hi\r\n\r\n"
    key = fingerprint(120, header)
    assert is_fingerprint(key) and not is_uidl(key) and not is_session_key(key)
    assert fingerprint_size(key) == 120
    assert key == fingerprint(120, header.replace(b"\r\n", b"\n"))
    assert key != fingerprint(121, header)
    assert key != fingerprint(120, header.replace(b"hi", b"ho"))


def test_same_fingerprint_gets_an_ordinal() -> None:
    header = b"Subject: twin\r\n\r\n"
    assert fingerprint(10, header, 2) != fingerprint(10, header, 1)
    assert fingerprint(10, header, 2).startswith(fingerprint(10, header))


def test_kinds_do_not_collide() -> None:
    # A UIDL is printable ASCII without spaces, so it can never look like another kind.
    assert is_uidl("fp:120:abc") and is_uidl("session")
    key = session_key(3, 17)
    assert is_session_key(key) and not is_uidl(key) and not is_fingerprint(key)
