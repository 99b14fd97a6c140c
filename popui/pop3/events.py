"""Plain-data events the session thread reports through its callback.

The UI wraps each in a Textual message; tests collect them in a list.
"""

from __future__ import annotations

from msgspec import Struct

from popui.pop3.models import Capabilities, MessageInfo, Negotiated
from popui.pop3.transport import CertificateDetails


class Event(Struct, frozen=True):
    pass


class Connecting(Event, frozen=True):
    attempt: int = 1
    reconnect: bool = False
    logging_in: bool = False  # connected and greeted: the login itself is under way


class Connected(Event, frozen=True):
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


class LoginFailed(Event, frozen=True):
    """The server refused the credentials; ask again. ``retry_after`` for LOGIN-DELAY/IN-USE."""

    message: str
    wrong_credentials: bool
    retry_after: float | None = None


class Listing(Event, frozen=True):
    """The current messages (from UIDL + LIST). ``vanished``: marked/known UIDLs now gone."""

    messages: tuple[MessageInfo, ...]
    vanished: tuple[str, ...] = ()


class HeadersFetched(Event, frozen=True):
    """A batch of header blocks: ``(uid, raw header bytes)`` pairs."""

    headers: tuple[tuple[str, bytes], ...]
    done: int
    total: int


class TopMissing(Event, frozen=True):
    """The server has no working TOP (said once per session): rows can be filled only by
    downloading each message whole (RETR, which marks it seen), or left at number and size."""


class HeadersFailed(Event, frozen=True):
    uids: tuple[str, ...]
    message: str


class PreviewReady(Event, frozen=True):
    uid: str
    data: bytes
    lines: int
    ignored_line_count: bool = False  # the server's TOP sent more body than asked for


class PreviewFailed(Event, frozen=True):
    uid: str
    message: str
    top_unsupported: bool = False


class RetrieveProgress(Event, frozen=True):
    uid: str
    received: int
    total: int


class MessageRetrieved(Event, frozen=True):
    uid: str
    data: bytes


class RetrieveFailed(Event, frozen=True):
    uid: str
    message: str


class CopyRetrieveProgress(Event, frozen=True):
    job: int
    uid: str
    received: int
    total: int


class CopyRetrieved(Event, frozen=True):
    """A message RETRieved for copy job ``job`` (see `RetrieveForCopy`)."""

    job: int
    uid: str
    data: bytes


class CopyRetrieveFailed(Event, frozen=True):
    job: int
    uid: str
    message: str


class CommitDone(Event, frozen=True):
    """QUIT was acknowledged: ``deleted`` are gone; ``missing`` were gone before the commit or
    no longer matched their fingerprint, and were not deleted."""

    deleted: tuple[str, ...]
    missing: tuple[str, ...]
    message: str


class CommitFailed(Event, frozen=True):
    """QUIT was not acknowledged. ``maybe_deleted``: every message a ``DELE`` was *sent* for
    (a server that applies deletions on disconnect may have applied any of them); empty when
    nothing can have been deleted. A ``CommitChecked`` follows once reconnected."""

    message: str
    maybe_deleted: tuple[str, ...] = ()


class CommitChecked(Event, frozen=True):
    """After a failed commit and a reconnect: of ``maybe_deleted``, which are really gone."""

    gone: tuple[str, ...]
    kept: tuple[str, ...]


class ConnectionLost(Event, frozen=True):
    message: str
    retry_in: float | None


class Notice(Event, frozen=True):
    """Something the user should know that does not stop the session."""

    message: str
    severity: str = "warning"  # "information" | "warning" | "error"


class Fatal(Event, frozen=True):
    """Not connected, and retrying alone will not help (bad certificate, refused plaintext
    login, gave up reconnecting). The session thread stays up: ``Connect`` tries again."""

    message: str


class CertificateRefused(Event, frozen=True):
    """The server's certificate could not be verified (``pinned`` is None) or is not the one
    the account pins. Not retried: the user decides (`popui.screens.certificate`)."""

    message: str
    certificate: CertificateDetails | None
    pinned: str | None = None


class Disconnected(Event, frozen=True):
    message: str = ""
