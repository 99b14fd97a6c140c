"""Helpers for tests that drive the Textual app: wait on conditions (never sleep), read what is
on screen, type, and a tiny host app for testing one widget or screen."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from textual.app import App, ComposeResult
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static


async def wait_until(
    pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop (no pytest asyncio plugin is pinned)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


def screen_text(app: App[Any]) -> str:
    """Plain text of every cell the current screen renders (what a user would see)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notices(messages: list[Message]) -> list[str]:
    """The toasts' texts among the messages recorded with ``run_test(message_hook=...)``."""
    return [m.notification.message for m in messages if isinstance(m, Notify)]


async def type_text(pilot: Pilot, text: str) -> None:
    """Type ``text`` key by key into the focused widget."""
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


class HostApp(App[None]):
    """Hosts the widgets under test; ``push_collect`` records what a screen dismisses with."""

    def __init__(self, *widgets: Any) -> None:
        super().__init__()
        self._widgets = widgets
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host", id="host")
        yield from self._widgets

    def push_collect(self, screen: Screen[Any]) -> None:
        self.push_screen(screen, self.results.append)
