"""Crash reports: a plain traceback (no local variables) in a private file."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from popui import __version__


def write_crash_report(error: BaseException, folder: Path | None = None) -> Path | None:
    """Write ``error``'s traceback to ``crash-<time>.txt`` (0600); None if that fails."""
    try:
        if folder is None:
            from popui.locations import state_dir

            folder = state_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(f"popui {__version__}\n")
            fh.writelines(traceback.format_exception(error))
        return path
    except OSError:
        return None
