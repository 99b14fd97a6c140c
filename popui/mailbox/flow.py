"""Flow control between the session thread and the parsing behind it."""

from __future__ import annotations

import threading


class Budget:
    """At most ``limit`` units handed over and not yet done: `take` waits for room, `give`
    makes it. One taking past the limit alone is let through (nothing else could free room).
    After `close` nothing waits again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.waiting = 0
        """Threads waiting in `take` now."""
        self._closed = False
        self._cond = threading.Condition()

    def take(self, count: int) -> None:
        with self._cond:
            self.waiting += 1
            try:
                self._cond.wait_for(lambda: self._closed or self.used == 0
                                    or self.used + count <= self.limit)
            finally:
                self.waiting -= 1
            self.used += count

    def give(self, count: int) -> None:
        with self._cond:
            self.used -= count  # (never below 0: every block taken is given back once)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
