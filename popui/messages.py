"""Textual messages carrying the engine's plain-data events to the UI thread.

The session thread calls the app's callback; the callback only builds one of these and
``post_message``s it (thread-safe). Header blocks are parsed there too, off the UI thread.
"""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker, WorkerState

from popui.mail.headers import HeaderSummary
from popui.pop3.events import Event


class SessionEvent(Message):
    """One engine event (``popui.pop3.events``), in the order the engine reported them."""

    def __init__(
        self, event: Event, summaries: tuple[tuple[str, HeaderSummary], ...] = ()
    ) -> None:
        super().__init__()
        self.event = event
        self.summaries = summaries
        """For ``HeadersFetched``: each header block already parsed, same order."""

    def __repr__(self) -> str:
        return f"SessionEvent({type(self.event).__name__})"


class CachedHeaders(Message):
    """Header summaries read from the local cache, in chunks; ``final`` ends a listing's pass.

    ``generation`` ties them to one listing: results for an older listing are dropped.
    """

    def __init__(
        self, generation: int, summaries: tuple[tuple[str, HeaderSummary], ...], final: bool
    ) -> None:
        super().__init__()
        self.generation = generation
        self.summaries = summaries
        self.final = final


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
