"""What callers ask of the session thread.

Requests are queued by priority: interactive ones (what the user is looking at) go ahead of
background header filling. A newer request of a *superseding* kind (a new preview, a new
visible-rows header fetch, a new full view) makes older pending ones of that kind stale; stale
requests are dropped without touching the network.
"""

from __future__ import annotations

from enum import IntEnum

from msgspec import Struct

from popui.pop3.account import Credentials


class Priority(IntEnum):
    CONTROL = 0  # connect, commit, disconnect, debug level
    INTERACTIVE = 1  # preview, full view, headers of visible rows
    BACKGROUND = 2  # header filling, keep-alive


class Request(Struct, frozen=True):
    @property
    def priority(self) -> Priority:
        return Priority.CONTROL

    @property
    def supersede_key(self) -> str | None:
        """Pending requests with the same key are replaced by the newest one."""
        return None


class Connect(Request, frozen=True):
    """Log in (or log in again after a failed attempt) with these credentials."""

    credentials: Credentials


class FetchHeaders(Request, frozen=True):
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


class Preview(Request, frozen=True):
    """``TOP n lines``: headers and the first body lines, without marking the message seen."""

    uid: str
    lines: int = 20

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE

    @property
    def supersede_key(self) -> str | None:
        return "preview"


class Retrieve(Request, frozen=True):
    """``RETR n``: the whole message (the server marks it seen)."""

    uid: str

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE

    @property
    def supersede_key(self) -> str | None:
        return "retrieve"


class RetrieveForCopy(Request, frozen=True):
    """``RETR n`` for copy job ``job`` (the server marks it seen). Never superseded: the
    Mailbox asks for the next message of a copy when the last one is written."""

    job: int
    uid: str

    @property
    def priority(self) -> Priority:
        return Priority.INTERACTIVE


class Commit(Request, frozen=True):
    """Delete these messages: re-read UIDL, ``RSET``, ``DELE`` each, ``QUIT``, reconnect."""

    uids: tuple[str, ...]
    reconnect: bool = True


class Refresh(Request, frozen=True):
    """Re-read STAT/UIDL/LIST (reconnecting: POP3 shows a snapshot per session)."""


class Noop(Request, frozen=True):
    @property
    def priority(self) -> Priority:
        return Priority.BACKGROUND

    @property
    def supersede_key(self) -> str | None:
        return "noop"


class SetDebugLevel(Request, frozen=True):
    level: int
