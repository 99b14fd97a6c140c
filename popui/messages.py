"""Textual messages: the Mailbox's updates on their way to the screens, one class per kind.

Worker threads hand updates to `MailboxUpdate` (``post_message`` is thread-safe); the main
screen gives each to `Mailbox.deliver` on the UI thread, and every screen that listens gets the
update again as its own typed message, handled with ``@on(messages.Kind)`` where it is used.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from textual.message import Message
from textual.worker import Worker, WorkerState

from popui.mailbox import updates as up
from popui.pop3 import events as ev

E = TypeVar("E", bound=ev.Event)


class MailboxUpdate(Message):
    """From a Mailbox thread to the UI thread, before the model has taken it."""

    def __init__(self, event: ev.Event) -> None:
        super().__init__()
        self.event = event

    def __repr__(self) -> str:
        return f"MailboxUpdate({type(self.event).__name__})"


class Update(Message, Generic[E]):
    """An update the model has taken; ``event`` is its plain data."""

    def __init__(self, event: E) -> None:
        super().__init__()
        self.event = event

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Connecting(Update[ev.Connecting]):
    pass


class Connected(Update[ev.Connected]):
    pass


class LoginFailed(Update[ev.LoginFailed]):
    pass


class ConnectionLost(Update[ev.ConnectionLost]):
    pass


class Disconnected(Update[ev.Disconnected]):
    pass


class CertificateRefused(Update[ev.CertificateRefused]):
    pass


class Fatal(Update[ev.Fatal]):
    pass


class Listing(Update[ev.Listing]):
    pass


class HeadersParsed(Update[up.HeadersParsed]):
    pass


class HeadersFailed(Update[ev.HeadersFailed]):
    pass


class TopMissing(Update[ev.TopMissing]):
    pass


class CacheDone(Update[up.CacheDone]):
    pass


class PreviewReady(Update[ev.PreviewReady]):
    pass


class PreviewFailed(Update[ev.PreviewFailed]):
    pass


class RetrieveProgress(Update[ev.RetrieveProgress]):
    pass


class MessageRetrieved(Update[ev.MessageRetrieved]):
    pass


class RetrieveFailed(Update[ev.RetrieveFailed]):
    pass


class FirstLines(Update[up.FirstLines]):
    pass


class CommitDone(Update[ev.CommitDone]):
    pass


class CommitFailed(Update[ev.CommitFailed]):
    pass


class CommitChecked(Update[ev.CommitChecked]):
    pass


class Notice(Update[ev.Notice]):
    pass


class MarksChanged(Update[up.MarksChanged]):
    pass


class OpenedLoaded(Update[up.OpenedLoaded]):
    pass


class StoreProblem(Update[up.StoreProblem]):
    pass


class CopyProgress(Update[up.CopyProgress]):
    pass


class CopyDone(Update[up.CopyDone]):
    pass


_MESSAGES: dict[type[ev.Event], type[Update[Any]]] = {
    ev.Connecting: Connecting,
    ev.Connected: Connected,
    ev.LoginFailed: LoginFailed,
    ev.ConnectionLost: ConnectionLost,
    ev.Disconnected: Disconnected,
    ev.CertificateRefused: CertificateRefused,
    ev.Fatal: Fatal,
    ev.Listing: Listing,
    up.HeadersParsed: HeadersParsed,
    ev.HeadersFailed: HeadersFailed,
    ev.TopMissing: TopMissing,
    up.CacheDone: CacheDone,
    ev.PreviewReady: PreviewReady,
    ev.PreviewFailed: PreviewFailed,
    ev.RetrieveProgress: RetrieveProgress,
    ev.MessageRetrieved: MessageRetrieved,
    up.FirstLines: FirstLines,
    ev.RetrieveFailed: RetrieveFailed,
    ev.CommitDone: CommitDone,
    ev.CommitFailed: CommitFailed,
    ev.CommitChecked: CommitChecked,
    ev.Notice: Notice,
    up.MarksChanged: MarksChanged,
    up.OpenedLoaded: OpenedLoaded,
    up.StoreProblem: StoreProblem,
    up.CopyProgress: CopyProgress,
    up.CopyDone: CopyDone,
}


def as_message(event: ev.Event) -> Update[Any] | None:
    """The typed message for an update (None for kinds no screen handles)."""
    kind = _MESSAGES.get(type(event))
    return kind(event) if kind is not None else None


class WorkerFailed(Message):
    """A screen's or widget's worker raised. ``Worker.StateChanged`` does not bubble, so they
    post this to the app, whose one handler shows the error instead of a traceback."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__()
        self.error = error

    @classmethod
    def forward(cls, event: Worker.StateChanged) -> None:
        """An ``on_worker_state_changed`` body: hand an error to the app."""
        if event.state == WorkerState.ERROR:
            event.worker.node.app.post_message(cls(event.worker.error))
