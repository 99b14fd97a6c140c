"""The full view: a whole message (``RETR``) parsed for reading, attachments and source.

mail-parser parses the MIME tree; when it fails (``RecursionError`` on absurd nesting, say) the
stdlib ``email`` package tries, and last the raw text is shown. Each fallback adds a notice.
Text and attachments are then taken from the tree by the same code for both parsers: mail-parser's
own text is lossy for 7bit/8bit parts (ISO-2022-JP left undecoded, Latin-1 turned into U+FFFD).
Headers and the summary come from the same lenient code as list rows.
Never raises; prints and logs nothing (mail-parser's log lines would quote raw header bytes).
"""

from __future__ import annotations

import email
import email.policy
import logging
from dataclasses import dataclass, field
from email.message import Message

import mailparser
from mailparser.exceptions import MailParserRecursionError

from popui.mail.attachments import Attachment, fallback_name, safe_filename
from popui.mail.body import Role, join_body, part_role
from popui.mail.decode import decode_bytes, decode_header_bytes, decode_words
from popui.mail.header_block import split_message
from popui.mail.headers import HeaderSummary, header_text, summary_from_fields
from popui.mail.sanitize import clean_block, clean_line

_mailparser_log = logging.getLogger("mailparser")
_mailparser_log.addHandler(logging.NullHandler())
_mailparser_log.propagate = False
_mailparser_log.setLevel(logging.CRITICAL + 1)  # no records built at all

#: Attachments up to this size are kept decoded; bigger ones are decoded again when asked for.
KEEP_DECODED = 1 << 20

NOTICE_HTML = "HTML part shown as text"
NOTICE_FALLBACK = "Parsed with the fallback parser: {}"
NOTICE_RAW = "Shown as raw text: the message could not be parsed"
NOTICE_TOO_DEEP = "Shown as raw text: the message is nested too deeply to parse"


@dataclass(frozen=True)
class ParsedMessage:
    """Everything the full view shows. All strings are sanitised."""

    headers: tuple[tuple[str, str], ...]  # every header field, in order, decoded
    summary: HeaderSummary
    text: str  # the body as readable text (``\\n`` and ``\\t`` are the only controls)
    text_source: str  # "plain", "html" or "none"
    attachments: tuple[Attachment, ...]
    notices: tuple[str, ...]
    raw: bytes = field(repr=False)  # for "view source" and saving as .eml


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def _leaves(message: Message) -> list[tuple[Message, Role]]:
    """Leaf parts in order, each with its role (``popui.mail.body``); iterative, no recursion.

    An attached message/rfc822 is one attachment; a multipart the parser could not split (no
    or an unused boundary) is text.
    """
    leaves: list[tuple[Message, Role]] = []
    stack: list[Message] = [message]
    while stack:
        part = stack.pop()
        role = part_role(part.get_content_type(), part.get_content_disposition() or "",
                         has_filename=bool(_filename(part)), splits=part.is_multipart())
        if role.look_inside:
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))
                continue
            role = Role(text=True)  # a message/rfc822 the parser left as text
        leaves.append((part, role))
    return leaves


def _data(part: Message) -> bytes:
    if part.is_multipart():  # an attached message
        inner = part.get_payload()
        try:
            first = inner[0] if isinstance(inner, list) and inner else None
            return first.as_bytes() if isinstance(first, Message) else b""
        except Exception:
            return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _filename(part: Message) -> str:
    """The decoded file name, raw 8-bit names included (``email`` turns those into U+FFFD)."""
    try:
        name = str(part.get_filename() or "")
        if "\ufffd" in name:
            fixed = Message()
            for key, value in part.raw_items():
                if key.lower() in ("content-disposition", "content-type"):
                    fixed[key] = decode_header_bytes(str(value).encode("utf-8", "surrogateescape"))
            name = str(fixed.get_filename() or name)
    except Exception:
        return ""
    return decode_words(name)


def _std_message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _attachment(raw: bytes, part: Message, position: int) -> Attachment:
    """Attachment number ``position`` (from 0) of the message ``raw``, which ``part`` is.

    Up to ``KEEP_DECODED`` bytes the decoded data is kept; a bigger one is decoded again from
    ``raw`` when it is asked for, so a parsed message does not hold every attachment twice.
    """

    def reparse() -> bytes:
        found = [leaf for leaf, role in _leaves(_std_message(raw)) if role.listed]
        return _data(found[position])

    data = _data(part)
    name = _filename(part)
    ctype = clean_line(part.get_content_type().lower())
    return Attachment(
        filename=clean_line(name),
        safe_filename=safe_filename(name, fallback_name(position + 1, ctype)),
        content_type=ctype,
        size=len(data),
        _load=(lambda: data) if len(data) <= KEEP_DECODED else reparse,
    )


def _mailparser_tree(raw: bytes) -> Message:
    parsed = mailparser.parse_from_bytes(raw)
    return parsed.message if parsed.message is not None else Message()


def _body(raw: bytes, message: Message) -> _Body:
    """Text parts and attachments of ``message`` (parsed from ``raw``), in one walk."""
    body = _Body()
    for part, role in _leaves(message):
        if role.listed:
            body.attachments.append(_attachment(raw, part, len(body.attachments)))
        if role.text:
            text = decode_bytes(_data(part), part.get_content_charset())
            (body.html if part.get_content_type() == "text/html" else body.plain).append(text)
    return body


def _for_parser(raw: bytes) -> bytes:
    """``raw`` with its header block rewritten as ``split_message`` reads it, so the MIME
    parser's idea of where the headers end is the preview's (one rule for both)."""
    fields, rest = split_message(raw)
    head = b"".join(name.encode("ascii") + b": " + value + b"\r\n" for name, value in fields)
    return head + b"\r\n" + rest


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a whole message for the full view. Never raises."""
    try:
        fields, rest = split_message(raw)
        headers = tuple((clean_line(name), header_text(value)) for name, value in fields)
        summary = summary_from_fields(fields)
    except Exception:
        headers, summary, rest = (), HeaderSummary(), raw
    notices: list[str] = []
    body: _Body | None = None
    try:
        source = _for_parser(raw)
    except Exception:
        source = raw
    try:
        body = _body(source, _mailparser_tree(source))
    except (RecursionError, MailParserRecursionError):
        # mail-parser's recursion is the stdlib parser's: that fallback would fail the same way.
        notices.append(NOTICE_TOO_DEEP)
    except Exception as exc:
        try:
            body = _body(source, _std_message(source))
            notices.append(NOTICE_FALLBACK.format(f"mail-parser failed ({type(exc).__name__})"))
        except Exception:
            notices.append(NOTICE_RAW)
    if body is None:
        text = clean_block(decode_bytes(rest))
        return ParsedMessage(
            headers, summary, text, "plain" if text else "none", (), tuple(notices), raw
        )
    text, kind = join_body(body.plain, body.html)
    if kind == "html":
        notices.append(NOTICE_HTML)
    return ParsedMessage(
        headers, summary, clean_block(text), kind, tuple(body.attachments), tuple(notices), raw
    )
