"""Copy jobs: messages RETRieved one at a time for ``C``/``s`` and written to a Maildir or mbox
with the same writers as ``popui fetch``. No Textual.

One job at a time per message: the next ``RETR`` is asked for only once the last message is
written and fsynced, so memory holds one message, interactive requests (previews) get in
between, and a job can be stopped between two messages. The writers block (fsync, locks): they
run on the copier's own thread, never on the UI or the socket thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from popui.mailbox import updates as up
from popui.mailbox.worker import SerialWorker
from popui.mailout import Destination, Format, WriteError, open_destination
from popui.pop3 import events as ev

Emit = Callable[[ev.Event], None]
Request = Callable[[int, str], None]

#: what a copy event carries: the session's three kinds
COPY_EVENTS = (ev.CopyRetrieveProgress, ev.CopyRetrieved, ev.CopyRetrieveFailed)


@dataclass(eq=False)
class CopyJob:
    """``keys`` to copy to ``dest``; ``data`` is the message itself when the caller has it
    already (the full view), so no RETR is needed. ``save`` marks them afterwards."""

    id: int
    keys: tuple[str, ...]
    sizes: tuple[int, ...]
    dest: str
    kind: Format | None = None
    save: bool = False
    data: bytes | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    # the copier thread's alone:
    writer: Destination | None = None
    position: int = 0
    copied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: int = 0
    received: int = 0

    @property
    def bytes_total(self) -> int:
        return sum(self.sizes)


class Copier:
    """Runs copy jobs on its own thread; results reach the UI as `CopyProgress`/`CopyDone`."""

    def __init__(self, emit: Emit, request: Request,
                 on_error: Callable[[BaseException], None]) -> None:
        self._emit = emit
        self._request = request
        self._jobs: dict[int, CopyJob] = {}
        self._worker = SerialWorker("mailbox-copy", on_error)

    def start(self, job: CopyJob) -> None:
        self._worker.submit(partial(self._start, job))

    def take(self, event: ev.Event) -> None:
        """Any thread: a copy event from the session."""
        self._worker.submit(partial(self._step, event))

    def stop(self) -> None:
        self._worker.stop()

    # -- the copier thread ---------------------------------------------------------------------

    def _start(self, job: CopyJob) -> None:
        try:
            job.writer = open_destination(job.dest, job.kind)
        except WriteError as error:
            self._finish(job, str(error))
            return
        if job.data is None:
            self._jobs[job.id] = job
            self._ask(job)
            return
        if self._write(job, job.keys[0], job.data, retrieved=False):
            self._finish(job)

    def _ask(self, job: CopyJob) -> None:
        if job.cancelled.is_set():
            self._finish(job, f"Stopped after {job.position} of {len(job.keys)}.")
        elif job.position < len(job.keys):
            self._request(job.id, job.keys[job.position])
        else:
            self._finish(job)

    def _step(self, event: ev.Event) -> None:
        assert isinstance(event, COPY_EVENTS)
        job = self._jobs.get(event.job)
        if job is None or job.position >= len(job.keys) or event.uid != job.keys[job.position]:
            return  # a job that has ended (or a repeat after a reconnect)
        if isinstance(event, ev.CopyRetrieveProgress):
            self._emit(up.CopyProgress(job.id, "", len(job.copied), len(job.keys),
                                       job.received + event.received, job.bytes_total))
            return
        if isinstance(event, ev.CopyRetrieveFailed):
            job.skipped.append((event.uid, event.message))
        elif not self._write(job, event.uid, event.data, retrieved=True):
            return
        job.received += job.sizes[job.position]
        job.position += 1
        self._ask(job)

    def _write(self, job: CopyJob, key: str, data: bytes, *, retrieved: bool) -> bool:
        assert job.writer is not None
        try:
            job.written += job.writer.add([data])
        except WriteError as error:
            self._finish(job, str(error))
            return False
        job.copied.append(key)
        self._emit(up.CopyProgress(job.id, key, len(job.copied), len(job.keys),
                                   job.received + len(data), job.bytes_total, retrieved,
                                   job.save))
        return True

    def _finish(self, job: CopyJob, error: str = "") -> None:
        self._jobs.pop(job.id, None)
        job.position = len(job.keys)
        kind = job.writer.kind if job.writer is not None else (job.kind or "")
        path = str(job.writer.path) if job.writer is not None else job.dest
        self._emit(up.CopyDone(job.id, path, kind, tuple(job.copied), tuple(job.skipped),
                               error, job.save, job.written))
