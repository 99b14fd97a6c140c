"""Destination paths as the copy prompt sees them: Tab completion and a sentence saying what a
path will be written as. No Textual; these touch the disk, so callers run them in a thread."""

from __future__ import annotations

import os
from pathlib import Path

from popui.mailout import guess_format

#: at most this many completions are listed
MOST = 50


def complete(text: str) -> tuple[str, list[str]]:
    """``text`` extended by what every matching name shares, and the matching names (folders
    end in ``/``). Hidden names match only when ``text`` asks for them with a dot."""
    try:
        expanded = os.path.expanduser(text)
    except RuntimeError:
        return text, []
    folder, start = os.path.split(expanded)
    matches: list[str] = []
    try:
        with os.scandir(folder or ".") as entries:
            for entry in entries:
                name = entry.name
                if not name.startswith(start) or (name.startswith(".") and
                                                  not start.startswith(".")):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                matches.append(name + "/" if is_dir else name)
    except (OSError, ValueError):
        return text, []
    matches.sort()
    if not matches:
        return text, []
    common = os.path.commonprefix(matches)  # noqa: RUF071 (names in one folder: by characters)
    return text + common[len(start):], matches[:MOST]


def describe(text: str) -> str:
    """What copying to ``text`` does, in one line ("" when there is nothing to say yet)."""
    text = text.strip()
    if not text:
        return "Type a folder (a Maildir, ends in /) or a file (an mbox)."
    try:
        path = Path(text).expanduser()
    except RuntimeError:
        return f"No such home folder in {text}."
    if guess_format(text) == "maildir":
        if (path / "new").is_dir():
            return "Maildir: the messages go into its new/ folder."
        if path.is_dir():
            return "Maildir: cur/ new/ tmp/ are made in this folder."
        return "Maildir: a new folder, with cur/ new/ tmp/."
    if path.is_file():
        return "mbox: the messages are appended to this file."
    if path.parent.is_dir():
        return "mbox: a new file. End the path with / for a Maildir instead."
    return "mbox: a new file (its folders are made). End the path with / for a Maildir."
