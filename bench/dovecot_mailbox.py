"""A private Dovecot with a big mailbox of small, realistic messages, for benchmarks.

    from dovecot_mailbox import dovecot_mailbox
    with dovecot_mailbox(10_000) as user:      # user.server.port_tls, user.name, user.password
        ...

The server is the test suite's (tests/dovecot.py); the messages are written straight into the
Maildir (10,000 take well under a few seconds), with sizes in the file names so Dovecot needs
not read them to answer LIST. Run this file to see how long set-up takes.
"""

from __future__ import annotations

import os
import poplib
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dovecot import DovecotServer, MailUser

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic_headers import realistic_header

_TEXT = (
    "the of and to in is that for it as with was on be at by this had not are but from or "
    "have an they which one you were her all she there would their we him been has when who "
    "will more no if out so said what up its about into than them can only other new some"
)
_WORDS = _TEXT.split()


def realistic_message(i: int, rng: random.Random) -> bytes:
    """Message ``i``: plain text, sometimes HTML or with a small attachment; CRLF lines.

    The header block is as big as real mail's (mean ~1.75 KB: Received chains, DKIM and ARC
    signatures, List-* fields; see realistic_headers.py).
    """
    paragraphs = []
    for _ in range(rng.randint(1, 6)):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 60))]
        text = " ".join(words).capitalize() + "."
        paragraphs.append("\r\n".join(wrap_words(text)))
    body = "\r\n\r\n".join(paragraphs) + "\r\n"
    kind = rng.random()
    if kind < 0.7:
        return realistic_header(i, rng, "text/plain; charset=utf-8") + body.encode()
    boundary = f"=_bench_{i:06d}"
    if kind < 0.9:
        html = "".join(f"<p>{p}</p>\r\n" for p in paragraphs)
        parts = [
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}",
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            f"<html><body>\r\n{html}</body></html>\r\n",
        ]
        content_type = "multipart/alternative"
    else:
        blob = rng.randbytes(rng.randint(300, 3000)).hex()
        attachment = "\r\n".join(blob[n : n + 76] for n in range(0, len(blob), 76))
        parts = [
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}",
            "Content-Type: application/octet-stream; name=\"data.hex\"\r\n"
            "Content-Disposition: attachment; filename=\"data.hex\"\r\n\r\n" + attachment + "\r\n",
        ]
        content_type = "multipart/mixed"
    mime = "".join(f"--{boundary}\r\n{part}" for part in parts) + f"--{boundary}--\r\n"
    header = realistic_header(i, rng, f'{content_type}; boundary="{boundary}"')
    return header + mime.encode()


def wrap_words(text: str, width: int = 72) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def fill_realistic(user: MailUser, n: int, *, seed: int = 1) -> None:
    """Write ``n`` messages into ``cur/`` (as a previous session left them); deterministic."""
    rng = random.Random(seed)
    for i in range(n):
        user.maildir.deliver(realistic_message(i, rng), folder="cur")


def _fast_tmp() -> str | None:
    """tmpfs when there is one: writing 10,000 files there is a few times faster."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def warm_up(user: MailUser) -> None:
    """One POP3 session, so Dovecot has built its index before a benchmark starts."""
    pop = poplib.POP3(user.server.host, user.server.port_plain, timeout=60)
    pop.user(user.name)
    pop.pass_(user.password)
    pop.stat()
    pop.quit()


@contextmanager
def dovecot_mailbox(n: int = 10_000, *, seed: int = 1, warm: bool = True) -> Iterator[MailUser]:
    """A running private Dovecot and a user whose mailbox holds ``n`` messages."""
    with DovecotServer(parent=_fast_tmp()) as server:
        user = server.add_user()
        fill_realistic(user, n, seed=seed)
        if warm:
            warm_up(user)
        yield user


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    start = time.perf_counter()
    with DovecotServer(parent=_fast_tmp()) as server:
        started = time.perf_counter()
        user = server.add_user()
        fill_realistic(user, n)
        filled = time.perf_counter()
        warm_up(user)
        warmed = time.perf_counter()
        size = sum(f.stat().st_size for f in user.maildir.files())
    print(f"dovecot start     {started - start:6.2f} s")
    print(f"write {n} msgs  {filled - started:6.2f} s  ({size / n / 1024:.1f} KiB average)")
    print(f"first session     {warmed - filled:6.2f} s  (login, STAT: Dovecot indexes the box)")


if __name__ == "__main__":
    main()
