"""Split raw message bytes into unfolded header fields and the body. Never raises."""

from __future__ import annotations

import re

_LINE_BREAK = re.compile(rb"\r\n|\n|\r")
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:")  # printable ASCII name, no colon, then ':'
_HEADER_END = re.compile(rb"\r\n\r\n|\n\r?\n|\r\r")


def split_message(raw: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """Header fields in order as ``(name as sent, unfolded raw value)``, and the body.

    Lenient like a mail reader: an mbox ``From`` line and lines that are neither a field nor a
    continuation are skipped; bare CR or LF count as line breaks.
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
    for line in _LINE_BREAK.split(head):
        if line[:1] in (b" ", b"\t"):
            if name is not None:
                parts.append(line)
            continue
        match = _FIELD.match(line)
        if match is None:
            continue
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
