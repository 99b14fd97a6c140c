"""Plain data the engine hands out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MessageInfo:
    """One message of the current connection: number (this connection only), identity key
    (`popui.pop3.identity`: a unique UIDL, a fingerprint, or a session key), LIST size."""

    number: int
    uid: str
    size: int


@dataclass(frozen=True)
class Listed:
    """One line of LIST with its UIDL (None without UIDL), before identities are assigned."""

    number: int
    size: int
    uidl: str | None


@dataclass(frozen=True)
class Capabilities:
    """The server's CAPA answer (RFC 2449), typed. ``known`` is False when CAPA failed."""

    known: bool = False
    top: bool = False
    uidl: bool = False
    pipelining: bool = False
    user: bool = False
    stls: bool = False
    utf8: bool = False
    resp_codes: bool = False
    auth_resp_code: bool = False
    sasl: tuple[str, ...] = ()
    login_delay: int | None = None
    expire: str | None = None
    implementation: str | None = None
    raw: tuple[str, ...] = field(default_factory=tuple)
