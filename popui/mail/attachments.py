"""Attachments: names safe to save under, and saving that never leaves the chosen folder.

An attachment's name is chosen by the sender: ``../../.bashrc``, ``/etc/passwd``, ``CON``,
``invoice\u202efdp.exe`` or 100 KB of text. ``safe_filename`` turns any of them into one plain
file name; ``save_attachment`` creates a new file inside the folder and never replaces one.
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from popui.mail.sanitize import INVISIBLE

#: Longest file name written, in UTF-8 bytes (most file systems allow 255).
MAX_NAME_BYTES = 200

# Controls and the characters the display sanitiser replaces are dropped from file names.
_REMOVE: dict[int, None] = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), *INVISIBLE])
_WINDOWS_BAD = re.compile(r'[<>:"|?*]')
_DOTS = re.compile(r"\.{2,}")
#: leading and trailing dots and spaces, in any mix (". 0" must not become " 0")
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?")


@dataclass(frozen=True)
class Attachment:
    """One attachment of a parsed message; ``data()`` decodes it when it is needed."""

    filename: str  # as sent, decoded and sanitised for display; "" when it had none
    safe_filename: str  # what to save it as
    content_type: str
    size: int  # decoded size in bytes
    _load: Callable[[], bytes] = field(repr=False, compare=False)

    def data(self) -> bytes:
        """The decoded content (may re-parse the message for big attachments)."""
        return self._load()


def fallback_name(index: int, content_type: str) -> str:
    """``attachment-<index>`` with an extension that fits the content type."""
    ext = mimetypes.guess_extension(content_type.split(";", 1)[0].strip().lower(), strict=False)
    return f"attachment-{index}{ext or '.bin'}"


def _cap(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 20:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = _EDGES.sub("", stem.encode("utf-8")[:budget].decode("utf-8", "ignore"))
    return stem + suffix


def safe_filename(name: str, fallback: str) -> str:
    """A single plain file name: no folders, no control, no hidden dot file, no device name."""
    text = unicodedata.normalize("NFC", name).translate(_REMOVE)
    text = re.split(r"[/\\]", text)[-1]  # the last path component only
    text = _WINDOWS_BAD.sub("_", text)
    text = _EDGES.sub("", _DOTS.sub(".", text))
    if _RESERVED.fullmatch(text):
        text = "_" + text
    text = _cap(text)
    if not text:
        return "attachment.bin" if name == fallback else safe_filename(fallback, fallback)
    return text


def _private(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)


def _numbered(name: str, number: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return _cap(f"{name} ({number})")
    return _cap(f"{stem} ({number}).{ext}")


def save_attachment(folder: Path, filename: str, data: bytes) -> Path:
    """Write ``data`` to a new file in ``folder``; an existing name gets `` (1)``, `` (2)``...

    The name is made safe again here, the file is created exclusively (an existing file or a
    symlink planted under that name is never followed or replaced) with mode 0600, and a
    failed write leaves no partial file. Raises ``OSError`` when the folder is not writable.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    base = folder.resolve(strict=True)
    name = safe_filename(filename, "attachment.bin")
    for number in range(10_000):
        candidate = name if number == 0 else _numbered(name, number)
        target = base / candidate
        if target.parent != base:  # cannot happen with a safe name; refuse rather than trust
            raise OSError(f"refusing to write outside {base}")
        try:
            handle = open(target, "xb", opener=_private)  # noqa: SIM115 - closed below
        except FileExistsError:
            continue
        try:
            with handle:
                handle.write(data)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise FileExistsError(f"too many files named like {name!r} in {base}")


def save_all(folder: Path, attachments: Iterable[Attachment]) -> list[Path]:
    """Save every attachment under its safe name; returns the paths written, in order."""
    return [save_attachment(folder, a.safe_filename, a.data()) for a in attachments]


def save_eml(folder: Path, subject: str, raw: bytes) -> Path:
    """Save a whole message as ``<subject>.eml``."""
    name = safe_filename(re.sub(r"[/\\]", "_", subject[:150]), "message")
    return save_attachment(folder, name + ".eml", raw)
