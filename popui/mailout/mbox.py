"""mbox in the mboxrd flavour: each message starts with a ``From `` line, and a body line that
matches ``>*From `` gets one more ``>`` (so reading it back can undo exactly that). Appending
takes the locks mail programs honour: an fcntl lock on the file and a ``NAME.lock`` dot-lock.
A failed append is cut off again (the file is truncated to its old length), so the mbox is
never left with half a message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from popui.mailout import WriteError, describe_os_error, lf_lines, make_folder

#: seconds to wait for another program's lock before giving up
LOCK_WAIT = 10.0
_POLL = 0.1
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*<?([^<>\s]+)>?[ \t]*$", re.MULTILINE | re.I)
#: how much of the message is looked at for the envelope sender (Return-Path)
_HEAD = 64 * 1024


def quote_from(data: bytes) -> bytes:
    """mboxrd quoting of whole lines: ``From `` -> ``>From ``, ``>From `` -> ``>>From ``..."""
    return _FROM_LINE.sub(rb">\1", data)


def from_line(head: bytes, when: float | None = None) -> bytes:
    """The separator line: ``From SENDER DATE`` with the Return-Path address, if any."""
    header_end = head.find(b"\n\n")
    match = _RETURN_PATH.search(head if header_end < 0 else head[:header_end])
    sender = match.group(1).decode("ascii", "replace") if match else ""
    if not sender or not sender.isprintable() or not sender.isascii():
        sender = "MAILER-DAEMON"
    stamp = time.asctime(time.gmtime(time.time() if when is None else when))
    return f"From {sender} {stamp}\n".encode("ascii", "replace")


class Mbox:
    kind: Literal["mbox"] = "mbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        make_folder(path.parent)
        if path.is_dir():
            raise WriteError(f"{path} is a folder; give it with a trailing / to use it as "
                             "a Maildir.")
        try:
            with path.open("rb") as fh:
                start = fh.read(5)
        except FileNotFoundError:
            if not os.access(path.parent, os.W_OK):
                raise WriteError(f"Cannot write to {path.parent}: permission denied.") from None
            return
        except OSError as exc:
            raise WriteError(describe_os_error(exc, path)) from None
        if start and start != b"From ":
            raise WriteError(f"{path} is not an mbox (it does not begin with a \"From \" "
                             "line); nothing was written to it.")
        if not os.access(path, os.W_OK):
            raise WriteError(f"Cannot write to {path}: permission denied.")

    def add(self, pieces: Iterable[bytes]) -> int:
        lines = lf_lines(pieces)
        head, rest = _head(lines)
        with self._locked() as (fd, created):
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                _write(fd, _separator(fd, start) + from_line(head))
                written, tail = 0, b"\n"
                for chunk in _chain(head, rest):
                    if chunk:
                        written += _write(fd, quote_from(chunk))
                        tail = chunk[-1:]
                _write(fd, b"\n\n" if tail != b"\n" else b"\n")
                os.fsync(fd)
            except BaseException as exc:
                _cut(fd, start, self.path if created else None)
                if isinstance(exc, OSError):
                    raise WriteError(describe_os_error(exc, self.path)) from None
                raise
        return written

    @contextlib.contextmanager
    def _locked(self) -> Iterator[tuple[int, bool]]:
        """The mbox open for appending, with the dot-lock and the fcntl lock held."""
        deadline = time.monotonic() + LOCK_WAIT
        self._dot_lock(deadline)
        try:
            created = not self.path.exists()
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise WriteError(describe_os_error(exc, self.path)) from None
            try:
                while True:
                    try:
                        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError as exc:
                        if exc.errno not in (errno.EACCES, errno.EAGAIN):
                            raise WriteError(describe_os_error(exc, self.path)) from None
                        if time.monotonic() > deadline:
                            raise WriteError(
                                f"{self.path} is locked by another program; nothing was "
                                "written to it. Try again when it is done."
                            ) from None
                        time.sleep(_POLL)
                try:
                    yield fd, created
                finally:
                    fcntl.lockf(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        finally:
            self.lock_path.unlink(missing_ok=True)

    def _dot_lock(self, deadline: float) -> None:
        while True:
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise WriteError(
                        f"{self.path} is locked by another program ({self.lock_path} exists); "
                        "nothing was written to it. Try again when it is done, or remove "
                        "the lock file if no program is using the mbox."
                    ) from None
                time.sleep(_POLL)
                continue
            except OSError as exc:
                raise WriteError(
                    f"Cannot lock {self.path}: {describe_os_error(exc, self.lock_path)}"
                ) from None
            try:
                os.write(fd, f"{os.getpid()}\n".encode())
            finally:
                os.close(fd)
            return


def _head(lines: Iterator[bytes]) -> tuple[bytes, Iterator[bytes] | None]:
    """The first pieces of the message (at least its header block, up to ``_HEAD`` bytes) and
    an iterator of the rest (``None`` when the message was shorter)."""
    parts: list[bytes] = []
    size = 0
    for chunk in lines:
        parts.append(chunk)
        size += len(chunk)
        if size >= _HEAD or b"\n\n" in b"".join(parts):
            return b"".join(parts), lines
    return b"".join(parts), None


def _chain(head: bytes, rest: Iterator[bytes] | None) -> Iterator[bytes]:
    yield head
    if rest is not None:
        yield from rest


def _separator(fd: int, end: int) -> bytes:
    """What must come before a new ``From `` line: the file has to end in an empty line."""
    if end == 0:
        return b""
    tail = os.pread(fd, 2, max(0, end - 2)) if end >= 2 else os.pread(fd, 1, 0)
    if tail.endswith(b"\n\n") or (end == 1 and tail == b"\n"):
        return b""
    return b"\n" if tail.endswith(b"\n") else b"\n\n"


def _write(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return len(data)


def _cut(fd: int, length: int, created: Path | None) -> None:
    """Undo a failed append: back to ``length`` bytes (and remove a file this append made)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, length)
        os.fsync(fd)
        if created is not None and length == 0:
            created.unlink()
