"""The engine's redacted protocol log, following new lines live, level switchable with 0/1/2."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

from popui.pop3.protocol_log import LogLine, ProtocolLog
from popui.widgets.safe_text import clean_line

EMPTY_AT_LEVEL_0 = ("Nothing is logged at level 0: press 1 or 2 (1: commands and status lines, "
                    "2: everything, including bodies). Passwords are never shown.")
LEVEL_NAMES = {0: "off", 1: "commands and status lines", 2: "everything, including bodies"}


def format_line(line: LogLine) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(line.time))
    return clean_line(f"{stamp} {line.direction} {line.text}")


class ProtocolLogScreen(Screen[None]):
    """Shows ``log``; keys 0/1/2 call ``set_level(n)`` (the engine owns the level)."""

    DEFAULT_CSS = """
    ProtocolLogScreen {
        & #log-level { height: 1; padding: 0 1; background: $panel; color: $text; }
        & Log { height: 1fr; }
        & #log-empty { height: auto; padding: 1 2; color: $text-muted; }
    }
    """
    BINDINGS = [
        Binding("0", "level(0)", "Log off"),
        Binding("1", "level(1)", "Commands"),
        Binding("2", "level(2)", "Everything"),
        Binding("q,escape", "app.pop_screen", "Back"),
    ]

    level: reactive[int] = reactive(0, init=False)

    class NewLines(Message):
        """Posted (from any thread) when lines are waiting; one per batch."""

    def __init__(self, log: ProtocolLog, set_level: Callable[[int], None]) -> None:
        super().__init__()
        self.protocol_log = log
        self._set_level = set_level
        self._pending: list[LogLine] = []
        self._lock = threading.Lock()
        self._flush_posted = False
        self._detached = False
        self.set_reactive(ProtocolLogScreen.level, log.level)

    def compose(self) -> ComposeResult:
        yield Static(self._level_text(), id="log-level", markup=False)
        yield Static(EMPTY_AT_LEVEL_0, id="log-empty", markup=False)
        yield Log(auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        # Subscribe before reading the backlog: a line that races in may show twice, never zero.
        self.protocol_log.subscribe(self._on_log_line)
        self.query_one(Log).write_lines(format_line(line) for line in self.protocol_log.lines())
        self._show_hint()

    def _show_hint(self) -> None:
        """At level 0 with nothing logged, an empty screen would look broken: say why."""
        self.query_one("#log-empty").display = (
            self.level == 0 and self.query_one(Log).line_count == 0
        )

    def on_unmount(self) -> None:
        self._detached = True
        self.protocol_log.unsubscribe(self._on_log_line)

    def _on_log_line(self, line: LogLine) -> None:
        """Called on the session thread: queue the line, post at most one message per batch."""
        if self._detached:
            return
        with self._lock:
            self._pending.append(line)
            if self._flush_posted:
                return
            self._flush_posted = True
        self.post_message(self.NewLines())

    @on(NewLines)
    def _flush(self) -> None:
        with self._lock:
            lines, self._pending = self._pending, []
            self._flush_posted = False
        if lines:
            self.query_one(Log).write_lines([format_line(line) for line in lines])
            self._show_hint()

    def _level_text(self) -> str:
        return f"Protocol log level {self.level}: {LEVEL_NAMES.get(self.level, '?')}  (0/1/2)"

    def watch_level(self) -> None:
        self.query_one("#log-level", Static).update(self._level_text())
        self._show_hint()

    def action_level(self, level: int) -> None:
        self._set_level(level)
        self.level = level
