"""What callers ask of the session thread.

Requests are queued by priority: interactive ones (what the user is looking at) go ahead of
background header filling. A newer request of a *superseding* kind (a new preview, a new
visible-rows header fetch, a new full view) makes older pending ones of that kind stale; stale
requests are dropped without touching the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from popui.pop3.account import Credentials


class Priority(IntEnum):
    CONTROL = 0  # connect, commit, disconnect, debug level
    INTERACTIVE = 1  # preview, full view, headers of visible rows
    BACKGROUND = 2  # header filling, keep-alive


@dataclass(frozen=True)
class Request:
    @property
    def priority(self) -> Priority:
        return Priority.CONTROL

    @property
    def supersede_key(self) -> str | None:
        """Pending requests with the same key are replaced by the newest one."""
        return None


@dataclass(frozen=True)
class Connect(Request):
    """Log in (or log in again after a failed attempt) with these credentials."""

    credentials: Credentials


@dataclass(frozen=True)
class FetchHeaders(Request):
    """``TOP n 0`` for these messages (pipelined). Interactive = the rows on screen.

    ``whole``: a server without TOP, and the user agreed: ``RETR`` each message (which marks it
    seen on the server) and keep its header."""

    uids: tuple[str, ...]
    interactive: bool = False
    whole: bool = False

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE if self.interactive else Priority.BACKGROUND

    @property
    def supersede_key(self) -> str | None:
        return "visible-headers" if self.interactive else None


@dataclass(frozen=True)
class Preview(Request):
    """``TOP n lines``: headers and the first body lines, without marking the message seen."""

    uid: str
    lines: int = 20

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE

    @property
    def supersede_key(self) -> str | None:
        return "preview"


@dataclass(frozen=True)
class Retrieve(Request):
    """``RETR n``: the whole message (the server marks it seen)."""

    uid: str

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE

    @property
    def supersede_key(self) -> str | None:
        return "retrieve"


@dataclass(frozen=True)
class RetrieveForCopy(Request):
    """``RETR n`` for copy job ``job`` (the server marks it seen). Never superseded: the
    Mailbox asks for the next message of a copy when the last one is written."""

    job: int
    uid: str

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE


@dataclass(frozen=True)
class Commit(Request):
    """Delete these messages: re-read UIDL, ``RSET``, ``DELE`` each, ``QUIT``, reconnect."""

    uids: tuple[str, ...]
    reconnect: bool = True


@dataclass(frozen=True)
class Refresh(Request):
    """Re-read STAT/UIDL/LIST (reconnecting: POP3 shows a snapshot per session)."""


@dataclass(frozen=True)
class Noop(Request):
    @property
    def priority(self) -> Priority:
        return Priority.BACKGROUND

    @property
    def supersede_key(self) -> str | None:
        return "noop"


@dataclass(frozen=True)
class SetDebugLevel(Request):
    level: int
