"""Split raw message bytes into unfolded header fields and the body. Never raises."""

from __future__ import annotations

import re

_LINE_BREAK = re.compile(rb"\r\n|\n|\r")
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:")  # printable ASCII name, no colon, then ':'
_HEADER_END = re.compile(rb"\r\n\r\n|\n\r?\n|\r\r")


def split_message(raw: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """Header fields in order as ``(name as sent, unfolded raw value)``, and the body.

    The header block ends at the first empty line, or at the first line that is neither a field
    nor a continuation (a message with no empty line after its headers): that line starts the
    body, as in Python's ``email``. mbox ``From`` lines are skipped; bare CR or LF count as line
    breaks. The preview and the full view both split messages here (``popui.mail.body``).
    """
    if raw.startswith((b"\r\n", b"\n")):
        return [], raw[2 if raw.startswith(b"\r\n") else 1 :]
    end = _HEADER_END.search(raw)
    if end is None:
        head, body = raw, b""
    else:
        head, body = raw[: end.start()], raw[end.end() :]
    fields: list[tuple[str, bytes]] = []
    name: bytes | None = None
    parts: list[bytes] = []
    offset = 0
    for line in _LINE_BREAK.split(head):
        start, offset = offset, offset + len(line)
        offset += 2 if head.startswith(b"\r\n", offset) else 1  # past this line's break
        if line[:1] in (b" ", b"\t"):
            if name is not None:
                parts.append(line)
            continue
        match = _FIELD.match(line)
        if match is None:
            if line.startswith(b"From "):
                continue
            body = raw[start:]  # the body begins here
            break
        if name is not None:
            fields.append((name.decode("ascii"), b"".join(parts).strip()))
        name = match.group(1)
        parts = [line[match.end() :]]
    if name is not None:
        fields.append((name.decode("ascii"), b"".join(parts).strip()))
    return fields, body


def first_values(fields: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """The first value of each lower-cased field name (a repeated Subject keeps the first)."""
    values: dict[str, bytes] = {}
    for name, value in fields:
        values.setdefault(name.lower(), value)
    return values
