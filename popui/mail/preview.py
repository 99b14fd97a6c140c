"""The preview pane: headers and the first text lines of a ``TOP n N`` answer.

``TOP`` cuts a message after N body lines, so the MIME structure may stop anywhere: inside a
part, in the middle of a base64 group or a quoted-printable escape, before the closing
boundary. This module walks what is there with its own small iterative scanner and decodes as
far as the data allows; what counts as body text is ``popui.mail.body``'s rule, shared with the
full view. Never raises.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from popui.mail.body import join_body, part_role
from popui.mail.decode import b64_lenient, decode_bytes
from popui.mail.header_block import first_values, split_message
from popui.mail.headers import HeaderSummary, summary_from_fields
from popui.mail.sanitize import clean_block

NOTICE_ATTACHMENT_FIRST = "Body begins with an attachment"
NOTICE_HTML = "HTML part shown as text"
NOTICE_NO_TEXT = "No text in the first lines of this message"
NOTICE_UNDECODABLE = "Could not decode body"

#: Deeper MIME nesting than this is not looked into (real mail nests 3 or 4 levels).
MAX_DEPTH = 20


@dataclass(frozen=True)
class Preview:
    """Sanitised headers and the first body lines; ``notice`` says what the user should know."""

    summary: HeaderSummary
    body_lines: tuple[str, ...]
    text_source: str  # "plain", "html" or "none"
    notice: str | None = None


@dataclass(frozen=True)
class _Leaf:
    content_type: str
    params: bytes  # the raw Content-Type value, for its charset
    encoding: str
    body: bytes


_PARAM = r"(?i)(?:^|;)\s*{}\s*=\s*(?:\"([^\"]*)\"|([^;\s]+))"
_CHARSET = re.compile(_PARAM.format("charset").encode())
_BOUNDARY = re.compile(_PARAM.format("boundary").encode())


def content_param(value: bytes, pattern: re.Pattern[bytes]) -> str | None:
    match = pattern.search(value)
    if match is None:
        return None
    return (match.group(1) or match.group(2) or b"").decode("latin-1")


_EOL = re.compile(rb"\r\n|\n|\r")


def _parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between ``--boundary`` lines; the last one may be cut short.

    A delimiter line starts a line (after CR, LF or CRLF) with ``--boundary``, then only
    white space or ``--`` (the last). Found with ``bytes.find``, not line by line: a 5 MB
    message with attachments is split in a millisecond.
    """
    delimiter = b"--" + boundary
    parts: list[bytes] = []
    start: int | None = None  # where the current part begins
    at = body.find(delimiter)
    while at >= 0:
        if at == 0 or body[at - 1] in b"\r\n":
            eol = _EOL.search(body, at)
            end, after = (eol.start(), eol.end()) if eol else (len(body), len(body))
            rest = body[at + len(delimiter) : end].rstrip()
            if rest in (b"", b"--"):
                if start is not None:
                    parts.append(body[start:at])
                if rest == b"--":
                    return parts
                start = after
                at = body.find(delimiter, after)
                continue
        at = body.find(delimiter, at + 1)
    if start is not None:
        parts.append(body[start:])
    return parts


class _Scan:
    """Collects the text leaves of a (possibly cut) message by ``popui.mail.body``'s rule."""

    def __init__(self, *, complete: bool) -> None:
        self.complete = complete
        self.attachment_seen = False
        self.leaves: list[_Leaf] = []

    def walk(self, raw: bytes) -> None:
        """Depth first, with an explicit stack: nesting costs no recursion."""
        stack = [(raw, 0)]
        while stack:
            part, depth = stack.pop()
            children = self._visit(part, depth)
            stack.extend((child, depth + 1) for child in reversed(children))

    def _visit(self, raw: bytes, depth: int) -> list[bytes]:
        fields, body = split_message(raw)
        values = first_values(fields)
        ctype_value = values.get("content-type", b"")
        ctype = ctype_value.split(b";", 1)[0].strip().lower().decode("latin-1") or "text/plain"
        disposition = values.get("content-disposition", b"").split(b";", 1)[0].strip().lower()
        parts: list[bytes] = []
        boundary = None
        if ctype.startswith("multipart/"):
            boundary = content_param(ctype_value, _BOUNDARY)
            parts = _parts(body, boundary.encode("latin-1")) if boundary else []
        # cut by TOP before the first boundary line: whether it splits is not known yet
        splits = bool(parts) or (not self.complete and boundary is not None)
        role = part_role(ctype, disposition.decode("latin-1"), splits=splits)
        if role.look_inside:
            if depth >= MAX_DEPTH:
                return []
            # a multipart's parts, or the message a message/rfc822 holds
            return parts if ctype.startswith("multipart/") else [body]
        if role.text:
            if ctype.startswith("multipart/"):  # cannot be split: shown as sent
                self.leaves.append(_Leaf("text/plain", b"", "", body))
            else:
                encoding = values.get("content-transfer-encoding", b"").strip().lower()
                self.leaves.append(_Leaf(ctype, ctype_value, encoding.decode("latin-1"), body))
            return []
        self.attachment_seen = True
        return []


def _decode(leaf: _Leaf, *, complete: bool) -> str:
    data = leaf.body
    if leaf.encoding == "base64":
        if not complete:  # only whole 4-character groups: the rest was cut by TOP
            compact = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
            data = compact[: len(compact) // 4 * 4]
        data = b64_lenient(data)
    elif leaf.encoding == "quoted-printable":
        if not complete:
            data = re.sub(rb"=[0-9A-Fa-f]?\Z", b"", data.rstrip(b"\r\n"))
        data = binascii.a2b_qp(data)
    return decode_bytes(data, content_param(leaf.params, _CHARSET), truncated=not complete)


def _after_line(text: str, n: int) -> int:
    """Where line ``n`` of ``text`` ends (after its ``\\n``), or its length: only that much is
    cleaned for ``n`` lines (cleaning adds line breaks, never removes one)."""
    at = -1
    for _ in range(n):
        at = text.find("\n", at + 1)
        if at < 0:
            return len(text)
    return at + 1


def top_is_whole(data: bytes, lines: int) -> bool:
    """Whether a ``TOP n lines`` answer holds the whole message (fewer body lines than asked)."""
    return split_message(data)[1].count(b"\n") < lines


#: Body lines the full view shows first (two screens of a tall terminal), and the bytes of each
#: text part they are decoded from (two screens need far less).
FIRST_LINES = 200
FIRST_LINES_BUDGET = 256 * 1024


def first_screens(data: bytes) -> Preview:
    """The headers and first lines of a whole message: what the full view shows while the
    rest is parsed (milliseconds, whatever the size)."""
    return parse_preview(data, complete=True, max_lines=FIRST_LINES,
                         part_budget=FIRST_LINES_BUDGET)


def parse_preview(data: bytes, *, complete: bool = False, max_lines: int = 500,
                  part_budget: int | None = None) -> Preview:
    """Headers and up to ``max_lines`` body lines of ``data`` (``complete``: a whole message).

    ``part_budget``: each text part is decoded from its first ``part_budget`` bytes only, as
    if ``TOP`` had cut it there (the first screens of a 5 MB text need not decode all of it).
    """
    try:
        fields, _body = split_message(data)
        summary = summary_from_fields(fields)
    except Exception:
        return Preview(HeaderSummary(), (), "none", NOTICE_UNDECODABLE)
    scan = _Scan(complete=complete)

    def decoded(leaf: _Leaf) -> str:
        if part_budget is not None and len(leaf.body) > part_budget:
            cut = _Leaf(leaf.content_type, leaf.params, leaf.encoding, leaf.body[:part_budget])
            return _decode(cut, complete=False)
        return _decode(leaf, complete=complete)

    try:
        scan.walk(data)
        plain = [decoded(leaf) for leaf in scan.leaves if leaf.content_type != "text/html"]
        html = [decoded(leaf) for leaf in scan.leaves
                if leaf.content_type == "text/html"] if not any(p.strip() for p in plain) else []
        text, source = join_body(plain, html)
    except Exception:  # absurd input: no traceback, a notice
        return Preview(summary, (), "none", NOTICE_UNDECODABLE)
    if source == "none":
        if not scan.leaves:
            notice = NOTICE_ATTACHMENT_FIRST if scan.attachment_seen else NOTICE_NO_TEXT
            return Preview(summary, (), "none", notice)
        return Preview(summary, (), "none", None)
    lines = clean_block(text[: _after_line(text, max_lines)]).split("\n", max_lines)[:max_lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return Preview(summary, (), "none", None)
    return Preview(summary, tuple(lines), source, NOTICE_HTML if source == "html" else None)
