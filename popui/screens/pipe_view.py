"""``|``: a message piped to a shell command, and what the command prints, in a scrollable view.

From the list the message is retrieved first (``RETR``: the caller submits it; this view
follows the Mailbox's updates for its key); from the full view the bytes are at hand. The
command runs in a thread; closing the view stops it. Its output is untrusted text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Log, Static
from textual.worker import Worker

from popui import messages as msg
from popui.mailout.pipe import PipeResult, PipeRun
from popui.messages import WorkerFailed
from popui.pop3.events import Event
from popui.screens.dialog import dialog_css
from popui.sizes import human_size
from popui.widgets.safe_text import clean_line, safe_line


class Listenable(Protocol):
    def subscribe(self, listener: Callable[[Event], None]) -> None: ...
    def unsubscribe(self, listener: Callable[[Event], None]) -> None: ...


class PipePrompt(ModalScreen[str | None]):
    """Ask for the command; dismisses with it, or None."""

    DEFAULT_CSS = dialog_css("PipePrompt", "PipePrompt > Vertical { width: 84; }")
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, title: str, default: str, notes: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_line(self.title_text), classes="title")
            yield Input(self.default, id="command", placeholder="a shell command, e.g. wc -l")
            for note in self.notes:
                yield Static(note, classes="message", markup=False)
            yield Static("Enter runs · Esc cancels", classes="hint", markup=False)
            with Horizontal():
                yield Button("Run", id="run", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def _submit(self) -> None:
        command = self.query_one(Input).value.strip()
        if command:
            self.dismiss(command)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PipeView(Screen[None]):
    """The command's output. Give ``data`` (the message) or ``key`` and ``mailbox``, whose
    ``RETR`` result for ``key`` is awaited (the caller submits the request)."""

    DEFAULT_CSS = """
    PipeView {
        & #pipe-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
        & #pipe-status { height: auto; padding: 0 1; color: $text-muted; }
        & #pipe-status.-error { color: $error; }
        & #pipe-output { height: 1fr; padding: 0 1; }
    }
    """
    BINDINGS = [
        Binding("q,escape", "close", "Back"),
        Binding("space", "page(1)", "Page down", show=False),
        Binding("minus,b", "page(-1)", "Page up", show=False),
    ]

    def __init__(self, command: str, *, data: bytes | None = None, key: str = "",
                 size: int = 0, mailbox: Listenable | None = None) -> None:
        super().__init__()
        self.command = command
        self.key = key
        self.message_size = size
        self.result: PipeResult | None = None
        self._run = PipeRun(command)
        self._partial = ""  # output after the last line end
        self._mailbox = mailbox
        self._data = data
        if data is None and mailbox is not None:
            mailbox.subscribe(self._listen)

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble("| ", safe_line(self.command)), id="pipe-title")
        yield Static(id="pipe-status")
        yield Log(id="pipe-output", auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        if self._data is not None:
            self._start(self._data)
        else:
            self._status(f"Retrieving the message ({human_size(self.message_size)}) …")

    def on_unmount(self) -> None:
        self._run.stop()
        if self._mailbox is not None:
            self._mailbox.unsubscribe(self._listen)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    def _listen(self, event: Event) -> None:
        message = msg.as_message(event)
        if message is not None:
            self.post_message(message)

    @on(msg.RetrieveProgress)
    def _progress(self, message: msg.RetrieveProgress) -> None:
        event = message.event
        if event.uid == self.key and self._data is None:
            self._status(f"Retrieving the message: {human_size(event.received)} of "
                         f"{human_size(event.total or self.message_size)} …")

    @on(msg.MessageRetrieved)
    def _retrieved(self, message: msg.MessageRetrieved) -> None:
        if message.event.uid == self.key and self._data is None:
            self._data = message.event.data
            self._start(self._data)

    @on(msg.RetrieveFailed)
    def _failed(self, message: msg.RetrieveFailed) -> None:
        if message.event.uid == self.key and self._data is None:
            self._status(f"Could not retrieve the message: {message.event.message}", error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#pipe-status", Static)
        status.update(safe_line(text))
        status.set_class(error, "-error")

    def _start(self, data: bytes) -> None:
        self._status("Running …")
        self._pipe(data)

    @work(thread=True, exclusive=True, group="pipe", exit_on_error=False)
    def _pipe(self, data: bytes) -> None:
        result = self._run.run(data, lambda text: self.app.call_from_thread(self._output, text))
        self.app.call_from_thread(self._finished, result)

    def _output(self, text: str) -> None:
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()
        if lines:
            self.query_one(Log).write_lines([clean_line(line.expandtabs()) or " "
                                             for line in lines])

    def _finished(self, result: PipeResult) -> None:
        if self._partial:
            self.query_one(Log).write_line(clean_line(self._partial.expandtabs()))
            self._partial = ""
        self.result = result
        self._status(result.describe(), error=bool(result.error or result.returncode))

    @property
    def output(self) -> list[str]:
        """The lines shown (for tests and for copying)."""
        return list(self.query_one(Log).lines)

    def action_close(self) -> None:
        self._run.stop()
        self.dismiss(None)

    def action_page(self, pages: int) -> None:
        log = self.query_one(Log)
        log.scroll_to(y=log.scroll_y + pages * log.scrollable_content_region.height,
                      animate=False)
