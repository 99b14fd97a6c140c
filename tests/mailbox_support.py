"""Driving a Mailbox without the UI: the test's thread plays the UI thread."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import TypeVar

from popui.mailbox import Mailbox
from popui.pop3 import events as ev

E = TypeVar("E", bound=ev.Event)


class Driver:
    """Binds a Mailbox to a queue and delivers its updates on the calling thread; ``seen``
    is what the Mailbox told its listeners (its own updates such as MarksChanged included)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.seen: list[ev.Event] = []
        self._unread = 0
        self._queue: queue.Queue[ev.Event] = queue.Queue()
        mailbox.bind(self._queue.put)
        mailbox.subscribe(self.seen.append)

    def until(self, kind: type[E], where: Callable[[E], bool] = lambda e: True,
              timeout: float = 20.0) -> E:
        """Deliver updates until one of ``kind`` matching ``where``; fail on Fatal/timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while self._unread < len(self.seen):
                event = self.seen[self._unread]
                self._unread += 1
                if isinstance(event, kind) and where(event):  # type: ignore[arg-type]
                    return event
                if isinstance(event, ev.Fatal) and kind is not ev.Fatal:
                    raise AssertionError(f"session failed: {event.message}")
            try:
                update = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {kind.__name__} within {timeout} s; saw "
                                     f"{[type(e).__name__ for e in self.seen[-20:]]}") from None
            self.mailbox.deliver(update)
