"""The header cache read ahead in a process of its own, on another core.

A warm start shows every cached row at once, so the whole cache is read before the UI needs
it. Read in the app, 10,000 rows cost ~45 ms of the interpreter lock that the UI's imports
need at that very moment (and read beside them the read crawls: each row gives the lock away
and waits to get it back). This child reads meanwhile and hands the rows back as one marshal
frame, which the app loads in a third of that time. It imports nothing of popui's, so it
starts in ~20 ms.

Only a shortcut: when the child cannot run or fails, the store reads the cache itself as the
listing passes, as it does for a cache too big to hold whole.
"""

from __future__ import annotations

import contextlib
import marshal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

Rows = dict[str, tuple[Any, ...]]


class ReadAhead:
    """The parent's side: started on the store thread, `rows` collects the answer there."""

    def __init__(self, path: Path, query: str, account: str, limit: int) -> None:
        from popui.python_child import start_module  # not in the child: it imports no popui

        self._proc: subprocess.Popen[bytes] | None
        try:
            self._proc = start_module("popui.store.read_ahead", str(path), query, account,
                                      str(limit), stdin=subprocess.DEVNULL)
        except OSError:
            self._proc = None

    def rows(self) -> Rows | None:
        """Every cached row by UIDL; None when there are more than ``limit`` or the child
        failed (the cache is then read as the listing passes)."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            return None
        with proc:
            data = proc.stdout.read()
        if proc.returncode != 0:
            return None
        try:
            rows = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
        return rows if isinstance(rows, dict) else None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(OSError):
                self._proc.kill()


def read(path: str, query: str, account: str, limit: int) -> Rows | None:
    """The child's work: ``query``'s rows (the key first) for ``account``, at most ``limit``
    (None beyond)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute(query, (account,)).fetchmany(limit + 1)
    finally:
        conn.close()
    if len(found) > limit:
        return None
    return {row[0]: row[1:] for row in found}


def main(argv: list[str]) -> int:
    path, query, account, limit = argv
    try:
        rows = read(path, query, account, int(limit))
    except (sqlite3.Error, ValueError):
        return 1
    sys.stdout.buffer.write(marshal.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
