"""Which messages ``popui fetch`` has saved, per account and destination, keyed by identity
(UIDL or fingerprint, see ``popui.pop3.identity``).

A message is recorded right after its copy is fsynced, and the record is durable before the next
message is written (SQLite ``synchronous=FULL``): an interrupted run, run again, saves each
message exactly once. A crash between the two can only mean one duplicate, never a loss.
One SQLite file of its own in the state folder: folders 0700, the file 0600.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from popui.locations import private_dir

DB_NAME = "fetched.sqlite3"
#: seconds to wait for another popui fetch holding a lock on the same file
BUSY_TIMEOUT = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetched (
    account TEXT NOT NULL, destination TEXT NOT NULL, identity TEXT NOT NULL,
    saved_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    PRIMARY KEY (account, destination, identity)
) WITHOUT ROWID;
"""


class Busy(Exception):
    """Another run holds this account and destination."""


class FetchedRecord:
    """The saved identities of one ``account`` (e.g. ``user@host:port``) for one
    ``destination`` (the resolved path of a Maildir or mbox).

    Opening it takes a lock for that pair (``Busy`` when another run has it): two runs at once,
    say from cron, would otherwise both save the same new messages."""

    def __init__(self, folder: Path, account: str, destination: str) -> None:
        private_dir(folder)
        self.path = folder / DB_NAME
        self.account = account
        self.destination = destination
        pair = hashlib.sha256(f"{account}\0{destination}".encode()).hexdigest()[:24]
        self._lock_fd = os.open(folder / f"fetch-{pair}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise Busy(f"Another popui fetch is saving mail of {account} to {destination}; "
                       "try again when it is done.") from None
        try:
            self._conn = self._open()
        except BaseException:
            os.close(self._lock_fd)
            raise

    def _open(self) -> sqlite3.Connection:
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # one fsync per record, not three
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def saved(self) -> set[str]:
        rows = self._conn.execute(
            "SELECT identity FROM fetched WHERE account = ? AND destination = ?",
            (self.account, self.destination),
        )
        return {identity for (identity,) in rows}

    def add(self, identity: str) -> None:
        """Record one saved message; durable when this returns."""
        self._conn.execute(
            "INSERT OR IGNORE INTO fetched (account, destination, identity) VALUES (?, ?, ?)",
            (self.account, self.destination, identity),
        )

    def prune(self, keep: Iterable[str]) -> None:
        """Forget messages no longer on the server (a UIDL is never reused), so the record
        does not grow forever."""
        self._conn.execute("BEGIN")
        try:
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep (identity TEXT PRIMARY KEY)")
            self._conn.execute("DELETE FROM keep")
            self._conn.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((k,) for k in keep))
            self._conn.execute(
                "DELETE FROM fetched WHERE account = ? AND destination = ? "
                "AND identity NOT IN (SELECT identity FROM keep)",
                (self.account, self.destination),
            )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            os.close(self._lock_fd)  # releases the lock

    def __enter__(self) -> FetchedRecord:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
