"""Maildir (https://cr.yp.to/proto/maildir.html): each message is written to ``tmp/`` under a
unique name, fsynced, then renamed into ``new/`` (and ``new/`` fsynced), so a reader never sees
half a message and a crash leaves at most a stray file in ``tmp/``."""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from popui.mailout import WriteError, describe_os_error, lf_lines, make_folder

_deliveries = itertools.count(1)


def _host() -> str:
    # The spec: "/" and ":" in the host name are written as \057 and \072.
    return (socket.gethostname() or "localhost").replace("/", r"\057").replace(":", r"\072")


def unique_name() -> str:
    """``<seconds>.M<microseconds>P<pid>Q<counter>R<random>.<host>``: unique as the Maildir
    spec asks (time, process, a per-process counter, and random bits for PID reuse)."""
    now = time.time()
    return (f"{int(now)}.M{int(now % 1 * 1_000_000)}P{os.getpid()}Q{next(_deliveries)}"
            f"R{os.urandom(8).hex()}.{_host()}")


class Maildir:
    kind: Literal["maildir"] = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists() and not path.is_dir():
            raise WriteError(f"{path} is a file, not a folder, so it cannot be a Maildir.")
        for folder in (path, path / "cur", path / "new", path / "tmp"):
            make_folder(folder)
        if not os.access(path / "tmp", os.W_OK) or not os.access(path / "new", os.W_OK):
            raise WriteError(f"Cannot write to {path}: permission denied.")

    def add(self, pieces: Iterable[bytes]) -> int:
        name = unique_name()
        tmp, final = self.path / "tmp" / name, self.path / "new" / name
        written = 0
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise WriteError(describe_os_error(exc, self.path)) from None
        try:
            try:
                for chunk in lf_lines(pieces):
                    view = memoryview(chunk)
                    while view:
                        done = os.write(fd, view)
                        view = view[done:]
                    written += len(chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, final)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise WriteError(describe_os_error(exc, self.path)) from None
            raise
        try:
            _fsync_folder(self.path / "new")
        except OSError as exc:  # the message is complete, but its name may not be durable
            final.unlink(missing_ok=True)
            raise WriteError(describe_os_error(exc, self.path)) from None
        return written


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
