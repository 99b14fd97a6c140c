"""The one connection state: what the status bar shows and what commands may do now."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

from popui.pop3 import events as ev

State = Literal["offline", "connecting", "logging_in", "connected", "reconnecting", "waiting",
                "error"]


@dataclass(frozen=True)
class ConnectionState:
    state: State = "offline"
    """offline | connecting | connected | reconnecting | waiting (login refused for now) | error"""
    attempt: int = 1
    retry_at: float | None = None
    """When the next attempt starts (``time.monotonic``), for a countdown."""
    connected: ev.Connected | None = None
    """The last login's details (capabilities, TLS, counts); kept while reconnecting."""
    note: str = ""

    @property
    def is_connected(self) -> bool:
        return self.state == "connected"

    @property
    def tls(self) -> str | None:
        return self.connected.tls if self.connected else None

    def after(self, event: ev.Event, now: float | None = None) -> ConnectionState:
        """The state once ``event`` happened (events that say nothing of it keep it)."""
        clock = time.monotonic() if now is None else now
        if isinstance(event, ev.Connecting):
            if event.logging_in:  # the same attempt, one step further
                return replace(self, state="logging_in", retry_at=None, note="")
            state: State = "reconnecting" if event.reconnect else "connecting"
            return replace(self, state=state, attempt=event.attempt, retry_at=None, note="")
        if isinstance(event, ev.Connected):
            return replace(self, state="connected", connected=event, retry_at=None, note="")
        if isinstance(event, ev.ConnectionLost):
            retry_at = clock + event.retry_in if event.retry_in else None
            return replace(self, state="reconnecting", retry_at=retry_at)
        if isinstance(event, ev.Disconnected):
            return replace(self, state="offline", retry_at=None)
        if isinstance(event, ev.LoginFailed) and event.retry_after:
            return replace(self, state="waiting", retry_at=clock + event.retry_after)
        if isinstance(event, ev.Fatal | ev.LoginFailed | ev.CertificateRefused):
            return replace(self, state="error", retry_at=None)
        if isinstance(event, ev.CommitDone | ev.CommitFailed):
            return replace(self, note="")
        return self
