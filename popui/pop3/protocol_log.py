"""The protocol log: poplib's debug levels, bounded in memory, secrets redacted at every level.

Level 0 records nothing, level 1 one line per command and response status line, level 2 every
line including multi-line bodies. ``PASS``, ``APOP`` digests, ``AUTH`` initial responses and
every SASL continuation line are replaced by ``<redacted>`` before anything is stored.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

REDACTED = "<redacted>"
#: C0/C1 controls and DEL written to the log file as \xNN, so `cat` of the file is harmless
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160)) if c != 9}
_SECRET_COMMAND = re.compile(r"^(PASS|RPOP)\s.*$", re.IGNORECASE)
_APOP = re.compile(r"^(APOP\s+\S+)\s.*$", re.IGNORECASE)
_AUTH_INITIAL = re.compile(r"^(AUTH\s+\S+)\s.*$", re.IGNORECASE)


class LogFileError(Exception):
    """The log file cannot be written; the message names the path and the reason."""


def open_log_file(path: Path) -> TextIO:
    """The log file opened for appending, created private (0600); ``LogFileError`` if not."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise LogFileError(f"cannot write the log file {path}: "
                           f"{exc.strerror or exc}") from None
    return os.fdopen(fd, "a", encoding="utf-8", errors="replace", buffering=1)


def check_log_file(path: Path) -> None:
    """Fail at start, with a sentence, rather than in the session later (``LogFileError``)."""
    open_log_file(path).close()


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
        self._file: TextIO | None = None
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
        entries = [entry]
        with self._lock:
            self._lines.append(entry)
            if self._path is not None:
                try:
                    self._write(entry)
                except (LogFileError, OSError, ValueError) as exc:  # a full disk, a closed file
                    self._path = None
                    if self._file is not None:
                        with contextlib.suppress(OSError):
                            self._file.close()
                        self._file = None
                    note = LogLine(time.time(), "*", f"Stopped writing the log file: {exc}")
                    self._lines.append(note)
                    entries.append(note)
        for line in entries:
            for listener in tuple(self._listeners):
                listener(line)

    def _write(self, entry: LogLine) -> None:
        """Append to the log file: private (0600), control characters escaped."""
        if self._file is None:
            assert self._path is not None
            self._file = open_log_file(self._path)
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
        self._file.write(f"{stamp} {entry.direction} {entry.text.translate(_ESCAPES)}\n")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
