"""Helpers for engine tests: accounts for the private Dovecot and an event recorder."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any, TypeVar

from popui.pop3 import events as ev
from popui.pop3.account import Account

E = TypeVar("E", bound=ev.Event)


def dovecot_account(user: Any, *, port: str = "plain", **overrides: Any) -> Account:
    """An Account for ``user`` (a MailUser) on one of the private Dovecot's ports."""
    server = user.server
    security = {"plain": "none", "stls": "starttls", "tls": "tls"}[port]
    fields: dict[str, Any] = {
        "name": "test",
        "host": server.host,
        "port": {"plain": server.port_plain, "stls": server.port_stls,
                 "tls": server.port_tls}[port],
        "user": user.name,
        "security": security,
        "ca_file": str(server.ca_file),
        "timeout": 10.0,
    }
    fields.update(overrides)
    return Account(**fields)


class Recorder:
    """Collects session events (the ``on_event`` callback) and waits for them."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self._queue: queue.Queue[ev.Event] = queue.Queue()

    def __call__(self, event: ev.Event) -> None:
        self._queue.put(event)

    def wait(self, kind: type[E], where: Callable[[E], bool] = lambda e: True,
             timeout: float = 20.0) -> E:
        """The next event of ``kind`` matching ``where``; fails on a Fatal or after timeout."""
        while True:
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {kind.__name__} within {timeout} s; saw "
                                     f"{[type(e).__name__ for e in self.events]}") from None
            self.events.append(event)
            if isinstance(event, kind) and where(event):
                return event
            if isinstance(event, ev.Fatal) and kind is not ev.Fatal:
                raise AssertionError(f"session failed: {event.message}")

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]
