"""Which message is which: identities that survive reconnects, deletions and other sessions.

A message's identity is its UIDL when the server gives it a unique one (RFC 1939 promises a
UIDL never changes and is never reused in the mailbox). Without UIDL, or for a UIDL that occurs
more than once, the identity is a *fingerprint*: the LIST size plus a hash of the header block
from ``TOP n 0``. Those messages are *unverified*: before a ``DELE`` the fingerprint is read again
and compared. Two messages with the same fingerprint (the same header block and size) get an
ordinal in message-number order; they cannot be told apart by anything a client can see.

Keys of the three kinds never collide: a UIDL is 0x21-0x7E only (no space), the other two kinds
contain a space. A session key (no UIDL and no TOP to fingerprint with) names a message number in
one connection only and is never stored.
"""

from __future__ import annotations

import hashlib

FINGERPRINT_PREFIX = "fp "
SESSION_PREFIX = "session "


def fingerprint(size: int, header: bytes, ordinal: int = 1) -> str:
    """The key of a message without a unique UIDL: size, header hash, and an ordinal (>1 only
    when earlier messages of the same listing have the same size and header block)."""
    normalised = header.replace(b"\r\n", b"\n").rstrip(b"\n")
    digest = hashlib.sha256(normalised).hexdigest()[:32]
    key = f"{FINGERPRINT_PREFIX}{size} {digest}"
    return key if ordinal == 1 else f"{key} {ordinal}"


def session_key(epoch: int, number: int) -> str:
    """The key of a message that can only be named by its number in connection ``epoch``."""
    return f"{SESSION_PREFIX}{epoch} {number}"


def is_fingerprint(key: str) -> bool:
    return key.startswith(FINGERPRINT_PREFIX)


def is_session_key(key: str) -> bool:
    return key.startswith(SESSION_PREFIX)


def is_uidl(key: str) -> bool:
    """True for a real, unique UIDL: the only kind the header cache and opened state keep."""
    return " " not in key


def fingerprint_size(key: str) -> int:
    """The LIST size a fingerprint was taken at (candidates for a match must have it)."""
    return int(key.split(" ")[1])
