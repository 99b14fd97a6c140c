"""Piping a message to a shell command (``|``), as mutt's pipe-message: the message on the
command's standard input with LF line endings, what it prints (stdout and stderr) read back in
pieces. No Textual; `run_pipe` blocks, so callers run it in a thread."""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

from popui.mailout import lf_lines

#: output kept at most; the command is stopped when it prints more
MAX_OUTPUT = 8 * 1024 * 1024
_PIECE = 64 * 1024


@dataclass(frozen=True)
class PipeResult:
    returncode: int | None
    """The exit status; negative for a signal; None when the command could not start."""
    cut: bool = False
    """The output was longer than `MAX_OUTPUT` and the command was stopped."""
    error: str = ""
    """Why the command could not start."""

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.cut:
            return (f"Output cut off after {MAX_OUTPUT // (1024 * 1024)} MB; "
                    "the command was stopped.")
        if self.returncode is None:
            return "Stopped."
        if self.returncode < 0:
            with contextlib.suppress(ValueError):
                return f"The command was ended by {signal.Signals(-self.returncode).name}."
            return f"The command was ended by signal {-self.returncode}."
        if self.returncode:
            return f"The command exited with status {self.returncode}."
        return "The command finished (exit status 0)."


class PipeRun:
    """One command run; `stop` (any thread) ends it and everything it started."""

    def __init__(self, command: str) -> None:
        self.command = command
        self._process: subprocess.Popen[bytes] | None = None
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGTERM)

    def run(self, data: bytes, output: Callable[[str], None]) -> PipeResult:
        """Feed ``data`` to the command, hand its output to ``output`` as text (UTF-8, bad
        bytes as U+FFFD) piece by piece, and wait for it. Blocks."""
        try:
            process = subprocess.Popen(
                self.command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as error:
            return PipeResult(None, error=f"The command could not start: {error.strerror}.")
        self._process = process
        if self._stopped.is_set():
            self.stop()
        feeder = threading.Thread(target=_feed, args=(process, data), daemon=True,
                                  name="pipe-feed")
        feeder.start()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        assert process.stdout is not None
        total, cut = 0, False
        while piece := os.read(process.stdout.fileno(), _PIECE):
            total += len(piece)
            if total > MAX_OUTPUT:
                cut = True
                self.stop()
                break
            if text := decoder.decode(piece):
                output(text)
        if text := decoder.decode(b"", final=True):
            output(text)
        process.stdout.close()
        returncode = process.wait()
        feeder.join()
        if self._stopped.is_set() and not cut:
            return PipeResult(None)
        return PipeResult(returncode, cut=cut)


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    """The message on the command's stdin; a command that stops reading is not an error."""
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError, OSError):
        for chunk in lf_lines([data]):
            process.stdin.write(chunk)
    with contextlib.suppress(BrokenPipeError, OSError):
        process.stdin.close()
