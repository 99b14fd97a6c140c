"""The values of ``~z`` (sizes) and ``~d`` (dates), as mutt writes them.

Each parser takes the text after the pattern letter and returns bounds, or raises
``RangeError`` with a sentence and the offset of the problem inside that text.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

#: Today's bare size terms (``>5M``, ``<10k``, ``>=1M``, ``<=200k``), kept as they were.
SIZE_TERM = re.compile(r"(>=|<=|>|<)(\d+(?:\.\d+)?)([kmgt]?)i?b?", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)([kmgt]?)i?b?", re.IGNORECASE)
_RELATIVE = re.compile(r"([<>=])(\d{1,9})([dwmyHMS])")
_UNIT_NAMES = "d (days), w (weeks), m (months), y (years), H (hours), M (minutes), S (seconds)"
_ABSOLUTE = re.compile(r"(\d{1,2})(?:/(\d{1,2})(?:/(\d{2}|\d{4}))?)?|(\d{4})(\d{2})(\d{2})")


class RangeError(ValueError):
    def __init__(self, problem: str, offset: int = 0) -> None:
        super().__init__(problem)
        self.problem = problem
        self.offset = offset


def size_term(op: str, number: str, unit: str) -> tuple[int | None, int | None]:
    """Bounds for ``>5M`` and friends: strictly larger/smaller, or at least/at most."""
    limit = int(Decimal(number) * UNITS[unit.lower()])
    return {
        ">": (limit + 1, None),
        ">=": (limit, None),
        "<": (None, limit - 1),
        "<=": (None, limit),
    }[op]


def _amount(text: str, offset: int) -> int:
    m = _AMOUNT.fullmatch(text)
    if not m:
        raise RangeError(
            f"{text!r} is not a size; write a number with an optional unit, e.g. 10K, 1.5M, 2G",
            offset,
        )
    return int(Decimal(m.group(1)) * UNITS[m.group(2).lower()])


def parse_size(text: str) -> tuple[int | None, int | None]:
    """``>10K``, ``<1M``, ``>=1M``, ``<=200k``, ``10K-1M``, ``10K-``, ``-1M``; ``10K`` exactly."""
    m = SIZE_TERM.fullmatch(text)
    if m:
        return size_term(*m.groups())
    if text[:1] in "<>":
        raise RangeError(
            f"{text!r} is not a size bound; write e.g. >10K, <1M or >=5M", 0,
        )
    if "-" in text:
        low_text, high_text = text.split("-", 1)
        if not low_text and not high_text:
            raise RangeError("a size range needs at least one end, e.g. 10K-1M or 10K-", 0)
        low = _amount(low_text, 0) if low_text else None
        high = _amount(high_text, len(low_text) + 1) if high_text else None
        if low is not None and high is not None and low > high:
            raise RangeError(f"the range {text!r} is empty: its start is above its end", 0)
        return low, high
    exact = _amount(text, 0)
    return exact, exact


def _shift_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(year)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _ago(now: datetime, amount: int, unit: str) -> datetime:
    if unit in "my":
        months = amount * (12 if unit == "y" else 1)
        try:
            return datetime.combine(_shift_months(now.date(), months), now.timetz())
        except OverflowError:
            return datetime.min.replace(tzinfo=now.tzinfo)
    seconds = {"d": 86400, "w": 7 * 86400, "H": 3600, "M": 60, "S": 1}[unit] * amount
    try:
        return now - timedelta(seconds=seconds)
    except OverflowError:
        return datetime.min.replace(tzinfo=now.tzinfo)


def _stamp(moment: datetime) -> float:
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return float("-inf") if moment.year < 1970 else float("inf")


def _day_start(day: date, tz: tzinfo | None) -> float:
    return _stamp(datetime.combine(day, time(), tzinfo=tz))


def _day_end(day: date, tz: tzinfo | None) -> float:
    """The start of the next day (dates are ``low <= t < high``)."""
    if day == date.max:
        return float("inf")
    return _day_start(day + timedelta(days=1), tz)


def _absolute(text: str, offset: int, now: datetime) -> date:
    m = _ABSOLUTE.fullmatch(text)
    if not m:
        raise RangeError(
            f"{text!r} is not a date; write DD/MM/YYYY as mutt does (month and year optional), "
            "or YYYYMMDD",
            offset,
        )
    if m.group(4):
        year, month, day = int(m.group(4)), int(m.group(5)), int(m.group(6))
    else:
        day = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else now.month
        year_text = m.group(3)
        if year_text is None:
            year = now.year
        elif len(year_text) == 2:  # mutt: 70-99 are 19xx, 00-69 are 20xx
            year = int(year_text) + (1900 if int(year_text) >= 70 else 2000)
        else:
            year = int(year_text)
    try:
        return date(year, month, day)
    except ValueError:
        raise RangeError(
            f"{text!r} is not a date in the calendar (day/month/year)", offset,
        ) from None


def parse_date(text: str, now: datetime) -> tuple[float | None, float | None]:
    """``<3d`` (newer than), ``>2w`` (older than), ``=1m`` (that day), and absolute days:
    ``01/01/2023-05/01/2023``, ``01/01/2023-``, ``-05/01/2023``, ``01/01/2023`` (that day)."""
    tz = now.tzinfo
    if text[:1] in "<>=":
        m = _RELATIVE.fullmatch(text)
        if not m:
            raise RangeError(
                f"{text!r} is not a relative date; write e.g. <3d (newer than 3 days) or >2w "
                f"(older than 2 weeks); units: {_UNIT_NAMES}",
                0,
            )
        op, amount, unit = m.group(1), int(m.group(2)), m.group(3)
        then = _ago(now, amount, unit)
        if op == "<":
            return _stamp(then), None
        if op == ">":
            return None, _stamp(then)
        return _day_start(then.date(), tz), _day_end(then.date(), tz)
    if any(c in text for c in "*+"):
        raise RangeError("date error margins (*, +) are not supported; write a range instead", 0)
    if "-" in text:
        low_text, high_text = text.split("-", 1)
        if not low_text and not high_text:
            raise RangeError("a date range needs at least one end, e.g. 01/01/2023-", 0)
        low = _absolute(low_text, 0, now) if low_text else None
        high = _absolute(high_text, len(low_text) + 1, now) if high_text else None
        if low is not None and high is not None and low > high:
            raise RangeError(f"the range {text!r} is empty: its start is after its end", 0)
        return (
            _day_start(low, tz) if low is not None else None,
            _day_end(high, tz) if high is not None else None,
        )
    day = _absolute(text, 0, now)
    return _day_start(day, tz), _day_end(day, tz)
