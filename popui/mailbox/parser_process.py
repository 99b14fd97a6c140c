"""Header blocks summarised in a process of its own, on another core.

A big fill (thousands of header blocks) costs 15–30 µs of summarising per block, on the same
interpreter lock as the socket, the store and the UI. With more than one core the Mailbox hands
those blocks to this child instead and gets back rows in their compact form (`summarize_row`),
which the cache stores and list rows are filled from as they are. Frames are length-prefixed
``marshal`` data both ways: our own child, our own plain values (bytes, strings, numbers,
tuples).

If the child cannot start or dies, the blocks it had are given back (`on_lost`) and parsed in
the Mailbox's own thread as before: nothing is lost, only the speed.
"""

from __future__ import annotations

import contextlib
import marshal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from popui.python_child import start_module

if TYPE_CHECKING:
    from popui.mail.headers import SummaryRow

_FRAME = struct.Struct("!I")
#: Header blocks per frame: the child holds a frame twice over while it works on it (~0.9 MB
#: at 250 realistic blocks); a fill's batches of 1,000 cost it 8 MB more at its peak.
FRAME_BLOCKS = 250
Block = tuple[str, bytes]
Parsed = tuple[str, "SummaryRow"]
"""A key and its row summary (`summarize_row`)."""


class ParserProcess:
    """The parent's side: `submit` batches from any thread; ``on_rows(rows)`` and
    ``on_lost(blocks)`` are called on the reader thread (``on_lost`` also on the submitting
    thread, for the rest of a batch the child died in the middle of)."""

    def __init__(self, on_rows: Callable[[list[Parsed]], None],
                 on_lost: Callable[[list[Block]], None]) -> None:
        self._on_rows = on_rows
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one frame at a time on the child's input
        self._pending: dict[int, list[Block]] = {}
        self._next = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._alive = False
        self.batches = 0
        """Batches summarised by the child so far."""

    def start(self) -> bool:
        """Start the child (it boots on another core meanwhile); False if it cannot start."""
        try:
            self._proc = start_module("popui.mailbox.parser_process", stdin=subprocess.PIPE)
        except OSError:
            return False
        self._alive = True
        threading.Thread(target=self._read, name="mailbox-parser", daemon=True).start()
        return True

    @property
    def alive(self) -> bool:
        return self._alive

    def submit(self, blocks: Sequence[Block]) -> bool:
        """Send header blocks to be summarised; False when the child is gone (parse them at
        home)."""
        for start in range(0, len(blocks), FRAME_BLOCKS):
            if not self._send(blocks[start : start + FRAME_BLOCKS]):
                if start == 0:
                    return False
                self._on_lost(list(blocks[start:]))  # the child is gone since: given back
                break
        return True

    def _send(self, blocks: Sequence[Block]) -> bool:
        with self._lock:
            if not self._alive or self._proc is None or self._proc.stdin is None:
                return False
            tag = self._next
            self._next += 1
            self._pending[tag] = list(blocks)
            stdin = self._proc.stdin
        data = marshal.dumps((tag, [(key, bytes(raw)) for key, raw in blocks]))
        # Written outside the lock: a full pipe blocks here until the child reads, and the
        # child reads only while the reader thread (which takes the lock) drains its answers.
        with self._writing:
            try:
                stdin.write(_FRAME.pack(len(data)))
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError):
                with self._lock:
                    self._alive = False  # the reader gives back what is pending
        return True

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        out = self._proc.stdout
        try:
            while (frame := _read_frame(out)) is not None:
                tag, rows = marshal.loads(frame)
                with self._lock:
                    blocks = self._pending.pop(tag, [])
                self.batches += 1
                failed = {key for key, row in rows if row is None}
                self._on_rows([(key, row) for key, row in rows if row is not None])
                if failed:  # summarised again at home, where the failure is reported
                    self._on_lost([block for block in blocks if block[0] in failed])
        except (OSError, ValueError, EOFError, TypeError):
            pass
        with self._lock:
            self._alive = False
            lost, self._pending = list(self._pending.values()), {}
        for blocks in lost:
            self._on_lost(blocks)

    def stop(self) -> None:
        """End the child; what it still had is dropped (the Mailbox is stopping)."""
        with self._lock:
            self._alive = False
            self._pending.clear()
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        """End the child at once, as a crash would (for tests)."""
        if self._proc is not None:
            self._proc.kill()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """The child: summarise each batch of header blocks into cache rows, until end of input."""
    from popui.mail.headers import summarize_row

    while (frame := _read_frame(source)) is not None:
        tag, blocks = marshal.loads(frame)
        rows: list[tuple[str, tuple[Any, ...] | None]] = []
        for key, raw in blocks:
            try:
                rows.append((key, summarize_row(raw)))
            except Exception:  # parsed again at home, which reports it
                rows.append((key, None))
        data = marshal.dumps((tag, rows))
        sink.write(_FRAME.pack(len(data)) + data)
        sink.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
