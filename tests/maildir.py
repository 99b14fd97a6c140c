"""A user's Maildir as the tests see it: deliver messages, then look at the files Dovecot left.

Dovecot moves files from ``new/`` to ``cur/`` when a session opens the mailbox and appends the
``:2,FLAGS`` info part (``S`` = seen) when flags change, so files are matched by their
Message-ID header, never by name.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import time
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP
from pathlib import Path

_counter = itertools.count()
_HOST = socket.gethostname().replace("/", "_").replace(":", "_") or "localhost"


def make_message(
    i: int,
    *,
    subject: str | None = None,
    body_lines: int = 5,
    sender: str = "Sender {i} <sender{i}@example.org>",
    domain: str = "popui.test",
) -> EmailMessage:
    """A small, deterministic message number ``i``: distinct Subject and Message-ID."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender.format(i=i)
    msg["To"] = "Test User <user@popui.test>"
    msg["Subject"] = subject if subject is not None else f"Test message {i:05d}"
    # Fixed dates one minute apart keep the messages (and sizes) reproducible.
    minute = i % (24 * 60)
    msg["Date"] = f"Mon, 03 Mar 2025 {minute // 60:02d}:{minute % 60:02d}:00 +0000"
    msg["Message-ID"] = message_id(i, domain)
    msg.set_content("".join(f"Line {n} of message {i}.\n" for n in range(body_lines)))
    return msg


def message_id(i: int, domain: str = "popui.test") -> str:
    """The Message-ID :func:`make_message` gives message ``i``."""
    return f"<msg-{i:05d}@{domain}>"


def as_bytes(msg: EmailMessage | bytes) -> bytes:
    """CRLF-terminated wire bytes of a message (Dovecot serves Maildir files as they are)."""
    if isinstance(msg, bytes):
        return msg
    return msg.as_bytes(policy=SMTP)


class Maildir:
    """One user's Maildir, owned by the uid/gid the Dovecot mail processes run as."""

    def __init__(self, path: Path, uid: int, gid: int) -> None:
        self.path = Path(path)
        self.uid = uid
        self.gid = gid

    def create(self) -> None:
        for sub in ("", "cur", "new", "tmp"):
            (self.path / sub).mkdir(mode=0o700, exist_ok=True)
            self._chown(self.path / sub)

    @property
    def _needs_chown(self) -> bool:
        return os.geteuid() == 0 and (self.uid, self.gid) != (0, 0)

    def _chown(self, path: Path) -> None:
        if self._needs_chown:
            os.chown(path, self.uid, self.gid)

    def deliver(
        self, msg: EmailMessage | bytes, *, seen: bool = False, folder: str = "new"
    ) -> Path:
        """Write a message the way an MDA does (tmp/, then rename); return its path.

        ``seen=True`` (or ``folder="cur"``) puts it in ``cur/`` with a ``:2,`` info part.
        """
        data = as_bytes(msg)
        now = time.time()
        # S= is the file size, W= the size with CRLF line ends (what POP3 LIST reports):
        # Dovecot reads both from the name instead of opening the file.
        vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
        base = (
            f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_counter)}.{_HOST}"
            f",S={len(data)},W={vsize}"
        )
        tmp = self.path / "tmp" / base
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            if self._needs_chown:
                os.fchown(fd, self.uid, self.gid)
        finally:
            os.close(fd)
        if seen or folder == "cur":
            final = self.path / "cur" / f"{base}:2,{'S' if seen else ''}"
        else:
            final = self.path / "new" / base
        os.rename(tmp, final)
        return final

    def deliver_many(self, messages: list[EmailMessage] | list[bytes]) -> list[Path]:
        return [self.deliver(m) for m in messages]

    def clear(self) -> None:
        """Remove every message and Dovecot's index files; the next session sees an empty box."""
        for sub in ("cur", "new", "tmp"):
            for f in (self.path / sub).iterdir():
                f.unlink()
        for f in self.path.iterdir():
            if f.is_file():
                f.unlink()
            elif f.name not in ("cur", "new", "tmp"):
                shutil.rmtree(f)

    def files(self) -> list[Path]:
        """Current message files in ``cur/`` and ``new/``, sorted by path."""
        return sorted(
            f for sub in ("cur", "new") for f in (self.path / sub).iterdir() if f.is_file()
        )

    @staticmethod
    def flags(path: Path) -> str:
        """The Maildir flags of a file name (``""`` when it has no ``:2,`` info part)."""
        _, sep, info = path.name.partition(":2,")
        return info if sep else ""

    def seen_files(self) -> list[Path]:
        return [f for f in self.files() if "S" in self.flags(f)]

    def by_message_id(self) -> dict[str, Path]:
        """Message-ID -> current file; read fresh each call because Dovecot renames files."""
        parser = BytesHeaderParser()
        result: dict[str, Path] = {}
        for f in self.files():
            with f.open("rb") as fh:
                headers = parser.parse(fh)
            result[str(headers.get("Message-ID", "")).strip()] = f
        return result

    def by_subject(self) -> dict[str, Path]:
        parser = BytesHeaderParser()
        result: dict[str, Path] = {}
        for f in self.files():
            with f.open("rb") as fh:
                result[str(parser.parse(fh).get("Subject", ""))] = f
        return result

    def message_ids(self) -> set[str]:
        return set(self.by_message_id())

    def seen_message_ids(self) -> set[str]:
        return {mid for mid, f in self.by_message_id().items() if "S" in self.flags(f)}
