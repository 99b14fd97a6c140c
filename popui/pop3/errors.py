"""Typed POP3 errors, each with a sentence a user understands.

Server replies carrying RFC 2449 / RFC 3206 response codes (``-ERR [IN-USE] ...``) become the
matching subclass. Every error is a ``poplib.error_proto`` so poplib-style handlers still work.
"""

from __future__ import annotations

import poplib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from popui.pop3.transport import CertificateDetails

_CODE = re.compile(rb"^-ERR\s+\[([A-Za-z0-9/-]+)\]\s*(.*)$", re.DOTALL)


class Pop3Error(poplib.error_proto):
    """Base of every engine error. ``str(error)`` is the user-facing sentence."""

    #: seconds after which trying again may help, when known
    retry_after: float | None = None

    def __init__(self, message: str, server_text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.server_text = server_text

    def __str__(self) -> str:
        return self.message


class ConnectionLost(Pop3Error):
    """The connection failed or closed; reconnecting may help."""


class ResponseTimeout(ConnectionLost):
    """The server stopped answering (or answers too slowly to be useful)."""


class ProtocolViolation(ConnectionLost):
    """The server sent something that is not POP3; the connection is no longer in sync."""


class TopCutOff(ConnectionLost):
    """A ``TOP n 0`` reply went on past the header (the server's TOP ignores the line count)
    and was cut off by closing the connection: a reconnect costs less than the message."""


class TlsError(Pop3Error):
    """The TLS handshake or certificate check failed."""


class UntrustedCertificate(TlsError):
    """The certificate could not be verified. ``certificate`` (when it could be fetched) is what
    a person needs to decide: trust it once, or pin it with ``tls_fingerprint``."""

    def __init__(self, message: str, problem: str,
                 certificate: CertificateDetails | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.certificate = certificate


class CertificateChanged(TlsError):
    """The account pins a certificate (``tls_fingerprint``) and the server presented another:
    refused, whatever else would trust it."""

    def __init__(self, message: str, certificate: CertificateDetails, pinned: str) -> None:
        super().__init__(message)
        self.certificate = certificate
        self.pinned = pinned


class SecurityMismatch(Pop3Error):
    """The port speaks another protocol than the account's security setting (TLS to a plain
    POP3 port, or plain POP3 to a TLS port); retrying will not help, the setting must change."""


class SecurityPolicyError(Pop3Error):
    """popui refused to go on because it would be unsafe (plaintext password, no STLS)."""


class ServerError(Pop3Error):
    """A plain ``-ERR`` reply to a command."""


class AuthFailed(ServerError):
    """The server rejected the credentials."""


class InUse(ServerError):
    """``[IN-USE]``: another client holds the mailbox lock."""

    retry_after = 30.0


class LoginDelay(ServerError):
    """``[LOGIN-DELAY]``: logged in too recently."""


class SysTemp(ServerError):
    """``[SYS/TEMP]``: a temporary server problem."""

    retry_after = 60.0


class SysPerm(ServerError):
    """``[SYS/PERM]``: a permanent server problem; retrying will not help."""


class MessageTooLarge(Pop3Error):
    """A response exceeded the configured memory cap."""


class SecretRejected(Pop3Error):
    """A secret contains CR or LF (poplib would send it as two commands)."""


def _decode(text: bytes) -> str:
    return text.decode("utf-8", "replace").strip()


def error_from_response(resp: bytes, *, login_delay: int | None = None) -> ServerError:
    """Turn a ``-ERR`` line into the typed error its response code names."""
    m = _CODE.match(resp)
    code = m.group(1).decode("ascii").upper() if m else ""
    text = _decode(m.group(2) if m else resp.removeprefix(b"-ERR"))
    shown = f" (server said: {text})" if text else ""
    if code == "IN-USE":
        return InUse(
            "The mailbox is in use by another client (another mail program or session). "
            f"Close it, or try again in a minute{shown}.",
            text,
        )
    if code == "LOGIN-DELAY":
        err = LoginDelay(
            "The server does not allow logging in again so soon"
            + (f"; wait {login_delay} seconds" if login_delay else "")
            + f"{shown}.",
            text,
        )
        err.retry_after = float(login_delay) if login_delay else 300.0
        return err
    if code == "SYS/TEMP":
        return SysTemp(f"The server has a temporary problem; try again later{shown}.", text)
    if code == "SYS/PERM":
        return SysPerm(
            f"The server reports a permanent problem; retrying will not help{shown}.", text
        )
    if code == "AUTH":
        return AuthFailed(f"The server rejected the user name or password{shown}.", text)
    return ServerError(f"The server refused the command{shown}.", text)
