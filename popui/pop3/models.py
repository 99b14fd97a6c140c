"""Plain data the engine hands out."""

from __future__ import annotations

from dataclasses import dataclass, field

from msgspec import Struct


class MessageInfo(Struct, frozen=True, gc=False):
    """One message of the current connection: number (this connection only), identity key
    (`popui.pop3.identity`: a unique UIDL, a fingerprint, or a session key), LIST size."""

    number: int
    uid: str
    size: int


class Listed(Struct, frozen=True, gc=False):
    """One line of LIST with its UIDL (None without UIDL), before identities are assigned."""

    number: int
    size: int
    uidl: str | None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What a connection settled on, for the info screen.

    ``before_login`` is the CAPA the login method was chosen from (over TLS when STLS was
    used); ``before_stls`` the plaintext answer that offered STLS (None without STLS);
    ``after_login`` what the server offers once logged in. ``utf8``: RFC 6856 UTF-8 mode is in
    effect (the server sends raw UTF-8 headers instead of replacing such messages).
    """

    before_login: Capabilities = field(default_factory=Capabilities)
    after_login: Capabilities = field(default_factory=Capabilities)
    before_stls: Capabilities | None = None
    utf8: bool = False
