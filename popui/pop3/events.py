"""Plain-data events the session thread reports through its callback.

The UI wraps each in a Textual message; tests collect them in a list.
"""

from __future__ import annotations

from dataclasses import dataclass

from popui.pop3.models import Capabilities, MessageInfo, Negotiated
from popui.pop3.transport import CertificateDetails


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class Connecting(Event):
    attempt: int = 1
    reconnect: bool = False
    logging_in: bool = False  # connected and greeted: the login itself is under way


@dataclass(frozen=True)
class Connected(Event):
    """Logged in. ``tls`` names the protocol version, or None on a plaintext link."""

    welcome: str
    capabilities: Capabilities
    tls: str | None
    auth_method: str
    message_count: int
    mailbox_size: int
    session_only: bool  # no UIDL and no TOP: some identities last for this connection only
    reconnect: bool = False
    negotiated: Negotiated | None = None  # CAPA before/after login, UTF-8 mode (info screen)


@dataclass(frozen=True)
class LoginFailed(Event):
    """The server refused the credentials; ask again. ``retry_after`` for LOGIN-DELAY/IN-USE."""

    message: str
    wrong_credentials: bool
    retry_after: float | None = None


@dataclass(frozen=True)
class Listing(Event):
    """The current messages (from UIDL + LIST). ``vanished``: marked/known UIDLs now gone."""

    messages: tuple[MessageInfo, ...]
    vanished: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeadersFetched(Event):
    """A batch of header blocks: ``(uid, raw header bytes)`` pairs."""

    headers: tuple[tuple[str, bytes], ...]
    done: int
    total: int


@dataclass(frozen=True)
class TopMissing(Event):
    """The server has no working TOP (said once per session): rows can be filled only by
    downloading each message whole (RETR, which marks it seen), or left at number and size."""


@dataclass(frozen=True)
class HeadersFailed(Event):
    uids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class PreviewReady(Event):
    uid: str
    data: bytes
    lines: int
    ignored_line_count: bool = False  # the server's TOP sent more body than asked for


@dataclass(frozen=True)
class PreviewFailed(Event):
    uid: str
    message: str
    top_unsupported: bool = False


@dataclass(frozen=True)
class RetrieveProgress(Event):
    uid: str
    received: int
    total: int


@dataclass(frozen=True)
class MessageRetrieved(Event):
    uid: str
    data: bytes


@dataclass(frozen=True)
class RetrieveFailed(Event):
    uid: str
    message: str


@dataclass(frozen=True)
class CopyRetrieveProgress(Event):
    job: int
    uid: str
    received: int
    total: int


@dataclass(frozen=True)
class CopyRetrieved(Event):
    """A message RETRieved for copy job ``job`` (see `RetrieveForCopy`)."""

    job: int
    uid: str
    data: bytes


@dataclass(frozen=True)
class CopyRetrieveFailed(Event):
    job: int
    uid: str
    message: str


@dataclass(frozen=True)
class CommitDone(Event):
    """QUIT was acknowledged: ``deleted`` are gone; ``missing`` were gone before the commit or
    no longer matched their fingerprint, and were not deleted."""

    deleted: tuple[str, ...]
    missing: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class CommitFailed(Event):
    """QUIT was not acknowledged. ``maybe_deleted``: every message a ``DELE`` was *sent* for
    (a server that applies deletions on disconnect may have applied any of them); empty when
    nothing can have been deleted. A ``CommitChecked`` follows once reconnected."""

    message: str
    maybe_deleted: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitChecked(Event):
    """After a failed commit and a reconnect: of ``maybe_deleted``, which are really gone."""

    gone: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionLost(Event):
    message: str
    retry_in: float | None


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should know that does not stop the session."""

    message: str
    severity: str = "warning"  # "information" | "warning" | "error"


@dataclass(frozen=True)
class Fatal(Event):
    """Not connected, and retrying alone will not help (bad certificate, refused plaintext
    login, gave up reconnecting). The session thread stays up: ``Connect`` tries again."""

    message: str


@dataclass(frozen=True)
class CertificateRefused(Event):
    """The server's certificate could not be verified (``pinned`` is None) or is not the one
    the account pins. Not retried: the user decides (`popui.screens.certificate`)."""

    message: str
    certificate: CertificateDetails | None
    pinned: str | None = None


@dataclass(frozen=True)
class Disconnected(Event):
    message: str = ""
