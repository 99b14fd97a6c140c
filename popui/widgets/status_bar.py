"""The status bar: account, connection state, mailbox size, marks, loading progress, sort.

While popui waits (connecting, logging in, loading headers, a note ending in "…") a spinner
turns and the time spent is shown, so a slow server never looks like a frozen app.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from popui.mail.sanitize import clean_line
from popui.sizes import human_size


@dataclass(frozen=True)
class Status:
    account: str = ""
    """``user@server``: from the user's own config, still cleaned before showing."""
    state: str = "offline"
    """offline | connecting | logging_in | connected | reconnecting | waiting (login refused
    for now) | error"""
    attempt: int = 1
    """Reconnection attempt, while reconnecting."""
    retry_at: float | None = None
    """When the next attempt starts (``time.monotonic``), shown as a countdown."""
    tls: str | None = None
    message_count: int | None = None
    mailbox_size: int | None = None
    filter: str = ""
    """The filter in effect (a pattern), or ""."""
    counts: str = ""
    """What the filter shows: ``N of M`` (and the bodies ``~b`` could not search)."""
    marked: int = 0
    marked_bytes: int = 0
    tagged: int = 0
    loaded: int = 0
    total: int = 0
    note: str = ""

    @property
    def loading(self) -> bool:
        """Headers are still coming in."""
        return bool(self.total and self.loaded < self.total)


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: states that wait for the server, timed from when they began
WAITING_STATES = frozenset({"connecting", "logging_in", "reconnecting"})


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    status: reactive[Status] = reactive(Status, layout=False)

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self._ticker: Timer | None = None
        self._state_since = clock()

    def update_status(self, **changes: object) -> None:
        old = self.status
        new = replace(old, **changes)  # type: ignore[arg-type]
        if (self._ticker is not None and self.busy_with(new)
                and replace(new, loaded=old.loaded) == old):
            # Only the loading count moved, and the spinner repaints 10 times a second anyway:
            # a frame per batch of rows (30 a second at 100,000 rows) would cost the fill time.
            self.set_reactive(StatusBar.status, new)
            return
        self.status = new
        if new.state != old.state or new.attempt != old.attempt:
            self._state_since = self.clock()

    @property
    def busy(self) -> bool:
        """Waiting for the server or loading: the spinner turns."""
        return self.busy_with(self.status)

    @staticmethod
    def busy_with(s: Status) -> bool:
        return ((s.state in WAITING_STATES and s.retry_at is None)
                or s.loading or s.note.endswith("…"))

    def watch_status(self, status: Status) -> None:
        """A spinner or a countdown repaints (10 times a second) while it runs; idle, nothing
        does."""
        moving = self.busy or status.retry_at is not None
        if moving and self._ticker is None:
            self._ticker = self.set_interval(0.1, self.refresh)
        elif not moving and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def spinner(self) -> str:
        return SPINNER[int(self.clock() * 10) % len(SPINNER)]

    def elapsed(self) -> str:
        """`` 12 s`` in the current waiting state (after the first second), or nothing."""
        if self.status.state not in WAITING_STATES or self.status.retry_at is not None:
            return ""
        seconds = int(self.clock() - self._state_since)
        return f" {seconds} s" if seconds >= 1 else ""

    def countdown(self) -> str:
        """`` in 27 s`` until the next attempt, or nothing."""
        if self.status.retry_at is None:
            return ""
        left = max(0, math.ceil(self.status.retry_at - self.clock()))
        return f" in {left} s" if left else " now"

    def connection(self) -> tuple[str, str]:
        """The connection state in words, and its style."""
        s = self.status
        if s.state == "connected":
            if s.tls:
                return f"connected 🔒 {s.tls}", "$text-success"
            return "connected, plaintext", "$text-warning"
        if s.state == "connecting":
            return f"connecting…{self.elapsed()}", "$text-muted"
        if s.state == "logging_in":
            return f"logging in…{self.elapsed()}", "$text-muted"
        if s.state == "reconnecting":
            return (f"reconnecting (attempt {s.attempt})…{self.countdown()}{self.elapsed()}",
                    "$text-warning")
        if s.state == "waiting":
            return f"login refused, retry{self.countdown()} (r: now)", "$text-warning"
        if s.state == "error":
            return "not connected", "$text-error"
        return "offline", "$text-muted"

    def render(self) -> Content:
        s = self.status
        parts: list[Content | str | tuple[str, str]] = []
        if self.busy:
            parts += [(self.spinner(), "$accent"), " "]
        parts.append((clean_line(s.account), "bold"))
        parts += ["  ", self.connection()]
        if s.loading:  # in the count's place, which it gives too: the bar fits 80 columns
            percent = 100 * s.loaded // s.total
            parts += ["  ", (f"headers {s.loaded}/{s.total} {percent}%", "$text-muted")]
        elif s.message_count is not None:
            parts += ["  ", f"{s.message_count} messages"]
            if s.mailbox_size is not None:
                parts.append(f", {human_size(s.mailbox_size)}")
        if s.filter:
            parts += ["  ", (f"/{clean_line(s.filter)}", "bold $text-accent"),
                      " ", (s.counts, "$text-accent")]
        if s.marked:
            parts += [
                "  ",
                (f"{s.marked} marked ({human_size(s.marked_bytes)})", "bold $mail-marked"),
            ]
        if s.tagged:
            parts += ["  ", (f"{s.tagged} tagged", "bold $text-accent")]
        if s.note:
            parts += ["  ", (clean_line(s.note), "$text-muted italic")]
        return Content.assemble(*parts)
