"""Handing a link or an attachment to another program: the configured command, else
``$BROWSER`` / the user's mailcap, else ``xdg-open``. No Textual here, no shell: commands are
split with ``shlex`` and the URL or file is one argument, never parsed by a shell.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAILCAPS = ("~/.mailcap", "/etc/mailcap", "/usr/etc/mailcap", "/usr/local/etc/mailcap")


def command_for(template: str, argument: str) -> list[str]:
    """``template`` split like a shell would, with ``{}`` (or ``%s``) replaced by
    ``argument``, else ``argument`` appended. Raises ValueError on unbalanced quotes."""
    words = shlex.split(template)
    if not words:
        raise ValueError("the command is empty")
    if any("{}" in word or "%s" in word for word in words):
        return [word.replace("{}", argument).replace("%s", argument) for word in words]
    return [*words, argument]


def browser_command(url: str, configured: str | None = None) -> list[str]:
    """How to open ``url``: ``[ui] browser``, else the first of ``$BROWSER``, else xdg-open."""
    template = configured or os.environ.get("BROWSER", "").split(":")[0].strip() or "xdg-open"
    return command_for(template, url)


@dataclass(frozen=True)
class Viewer:
    argv: list[str]
    terminal: bool = False
    """The program runs in this terminal (mailcap ``needsterminal``/``copiousoutput``)."""


def _mailcap_entries(files: Iterable[str]) -> Iterable[tuple[str, str, set[str]]]:
    for name in files:
        try:
            text = Path(name).expanduser().read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.replace("\\\n", "").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [field.strip() for field in line.split(";")]
            if len(fields) < 2:
                continue
            flags = {field.split("=", 1)[0].strip().lower() for field in fields[2:]}
            yield fields[0].lower(), fields[1], flags


def mailcap_viewer(content_type: str, path: str,
                   files: Iterable[str] = MAILCAPS) -> Viewer | None:
    """The first mailcap entry for ``content_type`` that takes a file name (``%s``) and has
    no ``test`` (popui runs no mailcap tests)."""
    main = content_type.split("/", 1)[0] + "/*"
    for ctype, command, flags in _mailcap_entries(files):
        if ctype not in (content_type, main) or "test" in flags or "%s" not in command:
            continue
        try:
            argv = [word.replace("%s", path) for word in shlex.split(command)]
        except ValueError:
            continue
        if argv and all("%" not in word.replace(path, "") for word in argv):
            return Viewer(argv, terminal=bool(flags & {"needsterminal", "copiousoutput"}))
    return None


def attachment_viewer(content_type: str, path: str, configured: str | None = None) -> Viewer:
    """``[ui] opener``, else the mailcap entry, else ``xdg-open``."""
    if configured:
        return Viewer(command_for(configured, path))
    return mailcap_viewer(content_type, path) or Viewer(["xdg-open", path])


def launch(argv: list[str]) -> str | None:
    """Start ``argv`` detached (no terminal I/O); why it could not start, or None."""
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        return f"{argv[0]}: {error.strerror or error}"
    return None


def run_in_terminal(argv: list[str]) -> str | None:
    """Run ``argv`` in this terminal and wait (the caller suspends the UI)."""
    try:
        subprocess.run(argv, check=False)
    except OSError as error:
        return f"{argv[0]}: {error.strerror or error}"
    return None
