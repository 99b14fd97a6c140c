"""The fast header path for list rows: raw header bytes to a sanitised ``HeaderSummary``.

``summarize_headers`` takes only the fields a row (and threading) needs straight out of the raw
bytes (``field_scan``, in C where it was built), decodes RFC 2047 only where ``=?`` occurs and
parses the common date shape without ``email.utils``, and decodes each distinct From/To/Cc
value once: ``summarize_row`` takes about 9 µs on a realistic 1.75 KB header block, a ninth
of the field-splitting summariser's time (``bench/summarize.py``). Blocks that need
``split_message``'s judgement (bare CRs, a line that is no field) go through it. The preview
and the full view split all fields (``summary_from_fields``); both paths share the field
decoding, and a test checks they agree. Never raises on any bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar

from popui.mail.decode import ENCODED_WORD, decode_header_bytes, decode_words
from popui.mail.field_scan import COMMON_DATE, date_fields, date_stamp, utc_stamp, wanted_values
from popui.mail.header_block import first_values, split_message
from popui.mail.sanitize import clean_line

#: Longest header text kept for display; the rest is cut with an ellipsis.
MAX_FIELD = 2000
#: References kept for threading: the thread's root (the first) and the newest ones.
MAX_REFERENCES = 32


SummaryRow = tuple[Any, ...]
"""A summary in its compact form, ``ROW_COLUMNS`` values (str, int, None): what the cache stores,
the parser process sends and list rows are filled from (`popui.rows.Row.fill_row`)."""


@dataclass(frozen=True)
class HeaderSummary:
    """What the header pane shows, and (compact, `to_row`) what list rows and the cache take.
    All strings are decoded and sanitised."""

    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    date: datetime | None = None  # timezone-aware; None when missing or unusable
    date_raw: str = ""  # the Date header as sent, for display when ``date`` is None
    message_id: str = ""  # "<id>" when the field holds one, else the field as display text
    has_attachment_hint: bool = False
    content_type: str = "text/plain"
    in_reply_to: str = ""  # the first "<id>" of In-Reply-To
    references: tuple[str, ...] = ()  # the "<id>"s of References, oldest first (capped)

    @property
    def display_sender(self) -> str:
        """The sender's name, else the address; both when the name could pass for an address
        (``sender_label``)."""
        return sender_label(self.from_name, self.from_addr)

    @property
    def from_full(self) -> str:
        """``Name <address>``, or whichever of the two there is."""
        if self.from_name and self.from_addr:
            return f"{self.from_name} <{self.from_addr}>"
        return self.from_name or self.from_addr

    def to_row(self) -> SummaryRow:
        """What a list row takes, as SQLite values (str, int, None), in ``ROW_COLUMNS`` order."""
        date = self.date
        offset = date.utcoffset() if date is not None else None
        return (
            self.subject, self.from_name, self.from_addr, self.to, self.cc,
            None if date is None else round(date.timestamp()),
            None if offset is None else int(offset.total_seconds()),
            self.message_id, int(self.has_attachment_hint), self.in_reply_to,
            " ".join(self.references),
        )


#: Column names for ``HeaderSummary.to_row`` (the date is two columns: UTC seconds, offset).
ROW_COLUMNS = (
    "subject", "from_name", "from_addr", "to_", "cc", "date_utc", "date_offset", "message_id",
    "attachment", "in_reply_to", "refs",
)

_ZONES: dict[int, timezone] = {0: UTC}


def fixed_zone(seconds: int) -> timezone:
    """The zone ``seconds`` east of UTC, one object per offset (100,000 dates share a few)."""
    zone = _ZONES.get(seconds)
    if zone is None:
        zone = _ZONES[seconds] = timezone(timedelta(seconds=seconds))
    return zone


_SPACES = re.compile(r"\s+")
#: "@" and dots, with the look-alikes a phisher would use instead
_AT = re.compile("[@\uff20\ufe6b]")
_DOMAIN = re.compile(r"(?i)[\w-]+(?:[.\u3002\uff0e\uff61][\w-]+)*[.\u3002\uff0e\uff61][a-z]{2,}\b")


@lru_cache(maxsize=8192)  # senders repeat: a 100,000-row fill asks for a few thousand
def sender_label(name: str, addr: str) -> str:
    """What a list row shows for a sender: the name, else the address; and the real address too
    when the name contains an ``@`` or looks like a domain (``"billing@bank.example"
    <x@evil.example>`` shows both), as phishing-aware clients do."""
    if not name or not addr or name == addr:
        return name or addr
    if _AT.search(name) or _DOMAIN.search(name):
        return f"{name} <{addr}>"
    return name

_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")
_NAME_ANGLE_ADDR = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>\s*", re.DOTALL)


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def _display(value: str) -> str:
    """One clean line: no controls, runs of whitespace folded, length capped."""
    if value.isprintable():  # no control, no invisible character, no whitespace but " "
        text = _SPACES.sub(" ", value) if "  " in value else value
    else:
        text = _SPACES.sub(" ", clean_line(value))
    text = text.strip()
    if len(text) > MAX_FIELD:
        text = text[: MAX_FIELD - 1] + "…"
    return text


def header_text(value: bytes) -> str:
    """A raw header value as display text: 8-bit bytes and RFC 2047 words decoded, sanitised."""
    text = decode_header_bytes(value)
    return _display(decode_words(text) if "=?" in text else text)


def _common_date(value: str) -> tuple[int, int, int, int, int, int, int] | None:
    """``(year, month, day, hour, minute, second, offset)`` of a date in the common shape; None
    for another shape or a date no one can display (as ``email.utils`` reads it, a test
    checks)."""
    common = COMMON_DATE.fullmatch(value)
    if common is None:
        return None
    return date_fields(*common.groups())


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as an aware datetime; None for garbage or dates no one can display.

    The common shape is read here; anything else goes to ``email.utils.parsedate_to_datetime``,
    which is several times slower.
    """
    fields = _common_date(value)
    if fields is None:
        return _parse_date_email(value)
    year, month, day, hour, minute, second, offset = fields
    if not 1900 <= year <= 9000 or not -86400 < offset < 86400:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=fixed_zone(offset))
    except ValueError:  # 31 Feb, 25:00, a leap second...
        return None


def _row_date(value: bytes) -> tuple[int | None, int | None]:
    """A Date value as ``to_row`` stores it: UTC seconds and the offset, without building a
    datetime for the common shape (read from the bytes themselves when they have it)."""
    stamp = date_stamp(value)
    if stamp is not None:
        return stamp
    text = header_text(value)
    fields = _common_date(text)
    if fields is None:
        parsed = _parse_date_email(text) if text else None
        zone = parsed.utcoffset() if parsed is not None else None
        if parsed is None or zone is None:
            return None, None
        return round(parsed.timestamp()), int(zone.total_seconds())
    return utc_stamp(*fields)


def _parse_date_email(value: str) -> datetime | None:
    """``parse_date`` by ``email.utils`` alone (any shape it knows)."""
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000": time in UTC, zone unknown
            parsed = parsed.replace(tzinfo=UTC)
        if not 1900 <= parsed.year <= 9000:
            return None
        parsed.astimezone(UTC)  # offsets that overflow fail here, not in the UI
    except Exception:  # parsedate raises TypeError/ValueError/IndexError/...
        return None
    return parsed


def split_address(value: bytes) -> tuple[str, str]:
    """``(name, address)`` of the first mailbox.

    The address is parsed before encoded words are decoded, and the words are swapped for
    placeholders meanwhile, so ``=?utf-8?q?Bank_<ceo@bank.example>?= <x@evil.example>`` cannot
    pass off a decoded name as the address.
    """
    text = decode_header_bytes(value)
    if "=?" not in text:  # nothing to hide: the usual case, and a third of the cost
        return _split_plain(text)
    text = text.replace("\ue000", "").replace("\ue001", "")
    words: list[str] = []

    def hide(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"\ue000{len(words) - 1}\ue001"

    def restore(part: str) -> str:
        return _PLACEHOLDER.sub(lambda m: words[int(m.group(1))], part)

    hidden = ENCODED_WORD.sub(hide, text)
    simple = _NAME_ANGLE_ADDR.fullmatch(hidden)
    try:
        if simple:  # the usual shape; parseaddr gives up on e.g. a '[' in an unquoted name
            name, addr = _unquote(simple.group(1)), simple.group(2).strip()
        else:
            name, addr = parseaddr(hidden)
        name, addr = restore(name), restore(addr)
    except Exception:  # no stdlib promise on garbage
        name, addr = "", ""
    if not addr and not name:
        return _display(decode_words(text)), ""
    if addr and "@" not in addr and not name:  # "From: Just A Name"
        return _display(decode_words(text)), ""
    return _display(decode_words(name)), _display(addr)


def _split_plain(text: str) -> tuple[str, str]:
    """``split_address`` for text without encoded words (same result, less work)."""
    simple = _NAME_ANGLE_ADDR.fullmatch(text)
    try:
        if simple:
            name, addr = _unquote(simple.group(1)), simple.group(2).strip()
        else:
            name, addr = parseaddr(text)
    except Exception:  # no stdlib promise on garbage
        name, addr = "", ""
    if (not addr and not name) or (addr and "@" not in addr and not name):
        return _display(text), ""
    return _display(name), _display(addr)


_MSG_ID = re.compile(rb"<[!-;=?-~]+>")  # printable ASCII, no angle brackets: clean by design


def message_ids(value: bytes) -> list[str]:
    """The ``<id>``s in a Message-ID, In-Reply-To or References value, in order."""
    if b"<" not in value:
        return []
    return [found.decode("ascii") for found in _MSG_ID.findall(value)]


def _reference_ids(value: bytes) -> list[bytes]:
    """The ``<id>``s of a References value, the root and the newest (``MAX_REFERENCES``)."""
    ids: list[bytes] = _MSG_ID.findall(value) if b"<" in value else []
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[1 - MAX_REFERENCES :]
    return ids


def _references(value: bytes) -> tuple[str, ...]:
    return tuple(found.decode("ascii") for found in _reference_ids(value))


def _has_attachment_hint(values: dict[str, bytes]) -> bool:
    ctype = values.get("content-type", b"").split(b";", 1)[0].strip().lower()
    if ctype == b"multipart/mixed":
        return True
    if values.get("x-ms-has-attach", b"").strip().lower() == b"yes":
        return True
    disposition = values.get("content-disposition", b"").split(b";", 1)[0].strip().lower()
    return disposition == b"attachment"


_CONTENT_TYPES: dict[bytes, str] = {}


def _content_type(values: dict[str, bytes]) -> str:
    """The lower-cased ``type/subtype``, or text/plain; memoised: there are only a few."""
    ctype = values.get("content-type", b"").split(b";", 1)[0].strip().lower()
    text = _CONTENT_TYPES.get(ctype)
    if text is None:
        text = header_text(ctype) if b"/" in ctype else "text/plain"
        if len(_CONTENT_TYPES) < 1000 and len(ctype) <= _MEMO_KEY:
            _CONTENT_TYPES[ctype] = text
    return text


#: Senders and recipients repeat from message to message (the user's own address in To, the
#: same few correspondents in From): each distinct raw value is decoded once. Bounded.
_SENDERS: dict[bytes, tuple[str, str]] = {}
_RECIPIENTS: dict[bytes, str] = {}
_MEMO_SIZE = 4096
_MEMO_KEY = 512  # longer values are rare and would only fill the memory
_T = TypeVar("_T")


def _remember(memo: dict[bytes, _T], key: bytes, value: _T) -> _T:
    if len(key) <= _MEMO_KEY:
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = value
    return value


def _sender(value: bytes) -> tuple[str, str]:
    parsed = _SENDERS.get(value)
    return parsed if parsed is not None else _remember(_SENDERS, value, split_address(value))


def _recipients(value: bytes | None) -> str:
    if not value:
        return ""
    text = _RECIPIENTS.get(value)
    return text if text is not None else _remember(_RECIPIENTS, value, header_text(value))


def _message_id(value: bytes) -> str:
    found = _MSG_ID.search(value)
    return found.group().decode("ascii") if found is not None else header_text(value)


def _first_id(value: bytes) -> str:
    found = _MSG_ID.search(value) if value else None
    return found.group().decode("ascii") if found is not None else ""


def _reference_text(value: bytes) -> str:
    """``" ".join(_references(value))`` in one decode."""
    return b" ".join(_reference_ids(value)).decode("ascii")


def _summary(values: dict[str, bytes]) -> HeaderSummary:
    """The summary of the first values of lower-cased field names (raw, unfolded, stripped).

    Written for speed (the list's 100,000 rows): fields are set in the instance dict in
    declaration order, which keeps CPython's key-sharing dicts small.
    """
    get = values.get
    summary = object.__new__(HeaderSummary)
    out = summary.__dict__
    subject = get("subject")
    out["subject"] = header_text(subject) if subject else ""
    out["from_name"], out["from_addr"] = _sender(get("from", b""))
    out["to"] = _recipients(get("to"))
    out["cc"] = _recipients(get("cc"))
    out["reply_to"] = _recipients(get("reply-to"))
    raw_date = get("date")
    date_raw = header_text(raw_date) if raw_date else ""
    out["date"] = parse_date(date_raw) if date_raw else None
    out["date_raw"] = date_raw
    out["message_id"] = _message_id(get("message-id", b""))
    out["has_attachment_hint"] = _has_attachment_hint(values)
    out["content_type"] = _content_type(values)
    out["in_reply_to"] = _first_id(get("in-reply-to", b""))
    out["references"] = _references(get("references", b""))
    return summary


def _row(values: dict[str, bytes]) -> SummaryRow:
    """``_summary(values).to_row()``, without what a row does not take (a test checks)."""
    get = values.get
    subject = get("subject")
    name, addr = _sender(get("from", b""))
    raw_date = get("date")
    stamp, offset = _row_date(raw_date) if raw_date else (None, None)
    return (
        header_text(subject) if subject else "", name, addr,
        _recipients(get("to")), _recipients(get("cc")), stamp, offset,
        _message_id(get("message-id", b"")), int(_has_attachment_hint(values)),
        _first_id(get("in-reply-to", b"")), _reference_text(get("references", b"")),
    )


def summary_from_fields(fields: list[tuple[str, bytes]]) -> HeaderSummary:
    """A ``HeaderSummary`` from ``split_message`` fields (the preview's and full view's path)."""
    return _summary(first_values(fields))


def summarize_headers(raw: bytes) -> HeaderSummary:
    """Summarise the headers of ``raw`` (a ``TOP n 0`` answer or a whole message)."""
    try:
        values = wanted_values(raw)
        if values is None:
            return summary_from_fields(split_message(raw)[0])
        return _summary(values)
    except Exception:  # a list row must never take the app down
        return HeaderSummary()


def summarize_row(raw: bytes) -> SummaryRow:
    """``summarize_headers(raw).to_row()``, quicker: what the parser process sends for each
    header block of a fill."""
    try:
        values = wanted_values(raw)
        if values is not None:
            return _row(values)
    except Exception:  # pragma: no cover - the full path below says what is wrong
        pass
    return summarize_headers(raw).to_row()
