"""Writing messages to local mail folders: Maildir and mbox. No Textual: ``popui fetch`` and the
app's copy and save use the same writers.

A message is given as an iterable of byte pieces (as RETR delivers them, dot-unstuffed); the
writers store it with LF line endings and change nothing else. Each ``add`` either leaves the
whole message on disk, fsynced, or nothing at all, and raises ``WriteError`` with a sentence.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, Protocol

Format = Literal["maildir", "mbox"]
FORMATS: tuple[str, ...] = ("maildir", "mbox")


class WriteError(Exception):
    """A message could not be stored; ``str()`` is a sentence for the user."""


class Destination(Protocol):
    """A Maildir or an mbox that messages are added to."""

    @property
    def path(self) -> Path: ...

    @property
    def kind(self) -> Format: ...

    def add(self, pieces: Iterable[bytes]) -> int:
        """Store one message; returns the bytes written. All or nothing."""
        ...


def guess_format(dest: str) -> Format:
    """A Maildir when ``dest`` is an existing folder or ends in ``/``; an mbox otherwise."""
    if dest.endswith(("/", os.sep)) or Path(dest).expanduser().is_dir():
        return "maildir"
    return "mbox"


def open_destination(dest: str, kind: Format | None = None) -> Destination:
    """The writer for ``dest`` (the format guessed unless given). Raises ``WriteError`` when the
    destination cannot be used (unwritable, an mbox that is not one, ...)."""
    from popui.mailout.maildir import Maildir
    from popui.mailout.mbox import Mbox

    kind = kind or guess_format(dest)
    try:
        path = Path(dest).expanduser()
    except RuntimeError:  # "~someone/..." for a user that does not exist
        raise WriteError(f"No such home folder in {dest}.") from None
    return Maildir(path) if kind == "maildir" else Mbox(path)


def lf_lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` re-cut into runs of whole lines with CRLF turned into LF (a bare CR stays).
    The last piece may lack a final line end."""
    carry = b""
    for piece in pieces:
        data = carry + piece
        end = data.rfind(b"\n") + 1
        carry = data[end:]
        if end:
            yield data[:end].replace(b"\r\n", b"\n")
    if carry:
        yield carry.replace(b"\r\n", b"\n")


def describe_os_error(exc: OSError, path: Path) -> str:
    """A sentence for a failed write to ``path``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full (or over quota): cannot write to {path}."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to {path}: {exc.strerror}."
    if exc.errno == errno.ENOTDIR:
        return f"Cannot write to {path}: a part of the path is a file, not a folder."
    return f"Cannot write to {path}: {exc.strerror or exc}."


def make_folder(path: Path) -> None:
    """``path`` and missing parents, created private (0700), as a ``WriteError`` on failure."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(describe_os_error(exc, path)) from None
    except ValueError:  # a NUL byte in the name
        raise WriteError(f"{path!s} is not a usable file name.") from None
    if not path.is_dir():
        raise WriteError(f"{path} is not a folder.")
