"""Local state per account: which messages were opened, cached header summaries, and marks.

The cache keeps what a list row needs, already parsed and compact (`summarize_row`, about a
third of the header bytes), so a warm start reads every row in one query and parses
nothing. Opened state and the cache are keyed by real, unique UIDLs only; marks by identity key
(a UIDL or a fingerprint, `popui.pop3.identity`), so they survive a quit, a crash or a kill.
One small SQLite file in WAL mode (readers never wait for a writer, so a second popui on the
same file does not stall this one) in a folder the caller chooses. Mail is private: folders are
created 0700 and the database file 0600. The object is thread-safe (one connection guarded by a
lock), but popui uses it from one store thread only: never the UI's or the socket's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from popui.locations import private_dir
from popui.mail.headers import ROW_COLUMNS

Summary = tuple[Any, ...]
"""A cached row summary: `summarize_row` values, in ``ROW_COLUMNS`` order."""

DB_NAME = "state.sqlite3"

#: Older caches' tables (raw headers; summaries with three columns no row used) are dropped: only
#: a cache, refilled from the server once.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS opened (
    account TEXT NOT NULL, uid TEXT NOT NULL, PRIMARY KEY (account, uid)
) WITHOUT ROWID;
DROP TABLE IF EXISTS headers;
DROP TABLE IF EXISTS summaries;
CREATE TABLE IF NOT EXISTS list_rows (
    account TEXT NOT NULL, uid TEXT NOT NULL, {columns}, PRIMARY KEY (account, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (
    account TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS choices (
    account TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (account, name)
) WITHOUT ROWID;
"""
_SCHEMA = _SCHEMA.replace("{columns}", ", ".join(ROW_COLUMNS))
_CHUNK = 500  # stays below SQLite's limit on query parameters
#: Every cached row of an account (the account the only parameter), the UIDL first.
READ_ALL = f"SELECT uid, {', '.join(ROW_COLUMNS)} FROM list_rows WHERE account = ?"
#: seconds to wait for another popui holding a lock on the same file before giving up
BUSY_TIMEOUT = 5.0
#: what SQLite says of a file that is not (or no longer) a usable database
_DAMAGED = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class LocalState:
    """State of one account (``account`` is any stable key, e.g. ``user@host:port``)."""

    def __init__(self, folder: Path, account: str) -> None:
        private_dir(folder)
        self.path = folder / DB_NAME
        self.account = account
        self._lock = threading.Lock()
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode not in _DAMAGED:  # locked, unreadable...: not ours to move
                raise
            # Only a cache: keep the damaged file for inspection and start afresh.
            self.path.rename(self.path.with_name(f"{DB_NAME}.damaged-{int(time.time())}"))
            self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    # -- opened ------------------------------------------------------------------------------

    def mark_opened(self, uid: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO opened VALUES (?, ?)", (self.account, uid))

    def is_opened(self, uid: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM opened WHERE account = ? AND uid = ?", (self.account, uid)
            ).fetchone()
        return row is not None

    def opened_uids(self) -> set[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT uid FROM opened WHERE account = ?", (self.account,)
            ).fetchall()
        return {uid for (uid,) in rows}

    # -- header cache ------------------------------------------------------------------------

    def all_summaries(self, batch: int = 1000) -> Iterator[list[tuple[str, Summary]]]:
        """Every cached summary of the account, one query read in batches (memory stays at a
        batch, whatever the size of the mailbox)."""
        with self._lock:
            cursor = self._conn.execute(READ_ALL, (self.account,))
            while rows := cursor.fetchmany(batch):
                yield [(row[0], row[1:]) for row in rows]

    def summaries(self, uids: Iterable[str]) -> dict[str, Summary]:
        """Cached summaries of those of ``uids`` that are in the cache."""
        found: dict[str, Summary] = {}
        with self._lock:
            for chunk in _chunks(list(uids)):
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"{READ_ALL} AND uid IN ({marks})",
                                          (self.account, *chunk))
                found.update((row[0], row[1:]) for row in rows)
        return found

    def put_summaries(self, items: Iterable[tuple[str, Summary]]) -> None:
        """Store ``(uid, summary row)`` pairs in one transaction."""
        rows = [(self.account, uid, *summary) for uid, summary in items]
        places = ",".join("?" * (2 + len(ROW_COLUMNS)))
        with self._lock, self._transaction():
            self._conn.executemany(f"INSERT OR REPLACE INTO list_rows VALUES ({places})", rows)

    # -- delete marks --------------------------------------------------------------------------

    def marks(self) -> set[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key FROM marks WHERE account = ?", (self.account,)
            ).fetchall()
        return {key for (key,) in rows}

    def add_marks(self, keys: Iterable[str]) -> None:
        rows = [(self.account, key) for key in keys]
        with self._lock, self._transaction():
            self._conn.executemany("INSERT OR IGNORE INTO marks VALUES (?, ?)", rows)

    def remove_marks(self, keys: Iterable[str]) -> None:
        rows = [(self.account, key) for key in keys]
        with self._lock, self._transaction():
            self._conn.executemany("DELETE FROM marks WHERE account = ? AND key = ?", rows)

    def clear_marks(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM marks WHERE account = ?", (self.account,))

    # -- choices the user made for this account (e.g. what to do without TOP) ---------------

    def choices(self) -> dict[str, str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, value FROM choices WHERE account = ?", (self.account,)
            ).fetchall()
        return dict(rows)

    def set_choice(self, name: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO choices VALUES (?, ?, ?)",
                               (self.account, name, value))

    # -- housekeeping ------------------------------------------------------------------------

    def prune(self, keep: Iterable[str]) -> None:
        """Forget every message of this account whose UIDL is not in ``keep`` (gone from the
        server), so the cache does not grow forever. What is stored is compared with ``keep``
        here: a first fill stores nothing yet, and a mailbox that lost a few messages loses a
        few rows (a temporary table of 100,000 kept UIDLs cost ~0.4 s each start)."""
        wanted = set(keep)
        with self._lock, self._transaction():
            for table in ("opened", "list_rows"):
                stored = self._conn.execute(
                    f"SELECT uid FROM {table} WHERE account = ?", (self.account,))
                gone = [(self.account, uid) for (uid,) in stored if uid not in wanted]
                self._conn.executemany(
                    f"DELETE FROM {table} WHERE account = ? AND uid = ?", gone)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> LocalState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
