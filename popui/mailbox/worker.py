"""A thread that runs jobs one at a time, in the order they were given.

The Mailbox keeps two: one digests the session's events (parses header blocks) so the socket
thread only moves bytes, one owns the local store so neither the UI nor the socket ever waits
for the disk or for another popui holding the database.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]


class SerialWorker:
    """Jobs run in order on one daemon thread; ``stop`` runs what is queued, then joins."""

    def __init__(self, name: str, on_error: Callable[[BaseException], None]) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._on_error = on_error
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        if not self._stopped:
            self._jobs.put(job)

    def stop(self, timeout: float | None = 10.0) -> None:
        """Finish the queued jobs and end the thread (at most ``timeout`` seconds)."""
        if not self._stopped:
            self._stopped = True
            self._jobs.put(None)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception as error:  # one failed job must not end the thread
                self._on_error(error)
