"""Delete marks, kept by UIDL beside the session and never sent to the server before a commit.

Some servers (Eudora QPOP) apply pending ``DELE`` commands on *any* disconnect, so a mark must
live only here until the user commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable


class Marks:
    """A thread-safe set of marked UIDLs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uids: set[str] = set()

    def toggle(self, uid: str) -> bool:
        """Flip the mark; return whether the message is marked now."""
        with self._lock:
            if uid in self._uids:
                self._uids.discard(uid)
                return False
            self._uids.add(uid)
            return True

    def add(self, uids: Iterable[str]) -> None:
        with self._lock:
            self._uids.update(uids)

    def discard(self, uids: Iterable[str]) -> None:
        with self._lock:
            self._uids.difference_update(uids)

    def clear(self) -> None:
        with self._lock:
            self._uids.clear()

    def snapshot(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._uids)

    def __contains__(self, uid: object) -> bool:
        with self._lock:
            return uid in self._uids

    def __len__(self) -> int:
        with self._lock:
            return len(self._uids)
