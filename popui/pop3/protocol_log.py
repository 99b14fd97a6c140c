"""The protocol log: poplib's debug levels, bounded in memory, secrets redacted at every level.

Level 0 records nothing, level 1 one line per command and response status line, level 2 every
line including multi-line bodies. ``PASS``, ``APOP`` digests, ``AUTH`` initial responses and
every SASL continuation line are replaced by ``<redacted>`` before anything is stored.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REDACTED = "<redacted>"
_SECRET_COMMAND = re.compile(r"^(PASS|RPOP)\s.*$", re.IGNORECASE)
_APOP = re.compile(r"^(APOP\s+\S+)\s.*$", re.IGNORECASE)
_AUTH_INITIAL = re.compile(r"^(AUTH\s+\S+)\s.*$", re.IGNORECASE)


@dataclass(frozen=True)
class LogLine:
    time: float
    direction: str  # ">" client to server, "<" server to client, "*" note
    text: str


def redact_command(line: str) -> str:
    """Redact the secret part of one client command line."""
    if _SECRET_COMMAND.match(line):
        return f"{line.split(None, 1)[0]} {REDACTED}"
    for pattern in (_APOP, _AUTH_INITIAL):
        m = pattern.match(line)
        if m:
            return f"{m.group(1)} {REDACTED}"
    return line


class ProtocolLog:
    """Bounded, thread-safe log of the POP3 conversation."""

    def __init__(self, level: int = 0, maxlen: int = 5000, path: str | Path | None = None) -> None:
        self.level = level
        self._lines: deque[LogLine] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._path = Path(path) if path else None
        self._listeners: list[Callable[[LogLine], None]] = []

    def subscribe(self, listener: Callable[[LogLine], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[LogLine], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def lines(self) -> list[LogLine]:
        with self._lock:
            return list(self._lines)

    def command(self, line: str, *, secret: bool = False) -> None:
        """A client line. ``secret`` lines (SASL continuations) are never stored in clear."""
        if self.level >= 1:
            self._add(">", REDACTED if secret else redact_command(line))

    def status(self, line: str) -> None:
        """A server status line (``+OK``/``-ERR``/``+ ...``)."""
        if self.level >= 1:
            self._add("<", line)

    def data(self, line: str) -> None:
        """A line of a multi-line response (level 2 only)."""
        if self.level >= 2:
            self._add("<", line)

    def note(self, text: str) -> None:
        if self.level >= 1:
            self._add("*", text)

    def _add(self, direction: str, text: str) -> None:
        entry = LogLine(time.time(), direction, text)
        with self._lock:
            self._lines.append(entry)
            if self._path is not None:
                stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
                with self._path.open("a", encoding="utf-8", errors="replace") as fh:
                    fh.write(f"{stamp} {direction} {text}\n")
        for listener in tuple(self._listeners):
            listener(entry)
