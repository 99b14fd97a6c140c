"""The fields a list row needs, picked straight out of a raw header block.

``wanted_values(raw)`` gives what ``first_values(split_message(raw)[0])`` gives for those fields
(raw, unfolded, stripped), without splitting the others; None when the block needs
``split_message``'s judgement. It is the hot loop of a cold fill (100,000 header blocks), so it
is also written in C (``_field_scan.c``, built when popui is installed where a C compiler is):
about 2 µs a realistic header there, 16 µs here. ``wanted_values_python`` is the reference (and
what runs without the C build); a test checks the two agree on any bytes.
"""

from __future__ import annotations

import re

_NAMES = (  # from|subject|date|to|cc|content-type|... as a trie: the regex engine is faster
    rb"(f(?:rom)|s(?:ubject)|d(?:ate)|t(?:o)|c(?:c|ontent-(?:type|disposition))"
    rb"|r(?:eply-to|eferences)|m(?:essage-id)|i(?:n-reply-to)|x(?:-ms-has-attach))"
    rb"[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)"
)
#: The fields ``_summary`` reads, each at a line start; the value runs on over folded lines.
#: (The look-ahead lets the engine skip most lines after one test.)
_WANTED = re.compile(rb"\n(?=[FfSsDdTtCcRrMmIiXx])" + _NAMES, re.IGNORECASE)
_WANTED_FIRST = re.compile(_NAMES, re.IGNORECASE)
_KEYS = {k.encode(): k.lower() for k in (
    "From", "Subject", "Date", "To", "Cc", "Reply-To", "Message-ID", "Message-Id",
    "In-Reply-To", "References", "Content-Type", "Content-Disposition", "X-MS-Has-Attach",
)}
_FIELD_START = re.compile(rb"[!-9;-~]+[ \t]*:")  # as header_block._FIELD
#: The first line that is neither a field nor a continuation: normally the empty line that ends
#: the header block.
_ODD_LINE = re.compile(rb"\n(?![ \t]|[!-9;-~]+[ \t]*:)")
_BARE_CR = re.compile(rb"\r[^\n]")


def wanted_values_python(raw: bytes) -> dict[str, bytes] | None:
    """What ``first_values(split_message(raw)[0])`` gives for the wanted fields, without
    splitting the others; None when ``raw`` needs ``split_message``'s judgement (bare CRs, an
    mbox From line, a line that is neither field nor continuation before the empty line)."""
    if raw[:1] == b"\n" or raw[:2] == b"\r\n":
        return {}
    if _FIELD_START.match(raw) is None:
        return None
    odd = _ODD_LINE.search(raw)
    end = len(raw) if odd is None else odd.start() + 1  # after the last field line's \n
    if end < len(raw) and raw[end] != 0x0A and raw[end : end + 2] != b"\r\n":
        return None
    if _BARE_CR.search(raw, 0, end) is not None or raw[end - 1 : end] == b"\r":
        return None
    values: dict[str, bytes] = {}
    first = _WANTED_FIRST.match(raw, 0, end)
    found = _WANTED.findall(raw, 0, end)
    if first is not None:
        found.insert(0, first.groups())
    for name, value in found:
        key = _KEYS.get(name) or name.lower().decode("ascii")
        if key not in values:
            if b"\n" in value:
                value = value.replace(b"\r\n", b"").replace(b"\n", b"")
            values[key] = value.strip()
    return values


try:
    from popui.mail._field_scan import wanted_values as wanted_values
except ImportError:  # installed without a C compiler: the same, slower
    wanted_values = wanted_values_python
