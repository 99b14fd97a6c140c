"""What a list row takes straight out of raw header bytes: the wanted fields, the common Date.

``wanted_values(raw)`` gives what ``first_values(split_message(raw)[0])`` gives for the fields a
row needs (raw, unfolded, stripped), without splitting the others; None when the block needs
``split_message``'s judgement. ``date_stamp(value)`` reads a Date in the shape nearly every
mailer writes into UTC seconds and offset; None for any other shape. They are the hot loop of a
cold fill (100,000 header blocks), so they are also written in C (``_field_scan.c``, built
when popui is installed where a C compiler is): about 2.5 µs a realistic header there, 19 µs
here. The ``…_python`` functions are the reference (and what runs without the C build); tests
check the two agree on any bytes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

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


_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
#: The shape nearly every mailer writes, e.g. "Tue, 2 Jan 2024 10:00:00 +0100 (CET)".
COMMON_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))? ([+-])([0-9]{2})([0-9]{2})(?: \([^()]*\))?"
)
#: The same shape in raw bytes, its comment plain printable ASCII with no "=" (no encoded
#: word): bytes it matches are their own display text.
_COMMON_DATE_BYTES = re.compile(COMMON_DATE.pattern.replace("[^()]*", "[ -'*-<>-~]*").encode())
_MONTHS_BYTES = {name.encode("ascii"): number for name, number in _MONTHS.items()}
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def date_fields(day: Any, month: Any, year: Any, hour: Any, minute: Any, second: Any,
                sign: Any, zh: Any, zm: Any) -> tuple[int, int, int, int, int, int, int]:
    """``(year, month, day, hour, minute, second, offset)`` from the groups of a `COMMON_DATE`
    match, of str or of bytes."""
    offset = int(zh) * 3600 + int(zm) * 60
    if sign in ("-", b"-"):
        offset = -offset
    full_year = int(year)
    if full_year < 100:  # "0024": email.utils reads it as a two-digit year
        full_year += 1900 if full_year > 68 else 2000
    months = _MONTHS_BYTES if type(month) is bytes else _MONTHS
    return full_year, months[month], int(day), int(hour), int(minute), int(second or 0), offset


def utc_stamp(year: int, month: int, day: int, hour: int, minute: int, second: int,
              offset: int) -> tuple[int | None, int | None]:
    """UTC seconds and the offset of `date_fields`; ``(None, None)`` for a date no one can
    display (as ``email.utils`` and ``datetime`` would refuse it)."""
    if (not 1900 <= year <= 9000 or not -86400 < offset < 86400
            or hour > 23 or minute > 59 or second > 59):
        return None, None
    try:
        days = date(year, month, day).toordinal() - _EPOCH_DAY
    except ValueError:  # 31 Feb
        return None, None
    return days * 86400 + hour * 3600 + minute * 60 + second - offset, offset


def date_stamp_python(value: bytes) -> tuple[int | None, int | None] | None:
    """`utc_stamp` of a Date value in the common shape, in plain ASCII (so these bytes are
    their own text); None for any other value."""
    common = _COMMON_DATE_BYTES.fullmatch(value)
    return None if common is None else utc_stamp(*date_fields(*common.groups()))


try:
    from popui.mail._field_scan import date_stamp as date_stamp
    from popui.mail._field_scan import wanted_values as wanted_values
except ImportError:  # installed without a C compiler: the same, slower
    date_stamp = date_stamp_python
    wanted_values = wanted_values_python
