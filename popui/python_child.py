"""Our own Python modules run as child processes, on another core (`popui.mailbox.parser_process`,
`popui.store.read_ahead`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_module(module: str, *args: str, stdin: int) -> subprocess.Popen[bytes]:
    """``python -m module args`` with this interpreter and this copy of popui on its path; its
    output piped back, its errors dropped (the parent says what failed). Raises OSError."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], stdin=stdin, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=env, close_fds=True,
    )
