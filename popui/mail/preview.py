"""The preview pane: headers and the first text lines of a ``TOP n N`` answer.

``TOP`` cuts a message after N body lines, so the MIME structure may stop anywhere: inside a
part, in the middle of a base64 group or a quoted-printable escape, before the closing
boundary. This module walks what is there with its own small, iterative-enough scanner and
decodes as far as the data allows. Never raises.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from popui.mail.decode import b64_lenient, decode_bytes
from popui.mail.header_block import first_values, split_message
from popui.mail.headers import HeaderSummary, summary_from_fields
from popui.mail.html_text import html_to_text
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
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r|$)")


def content_param(value: bytes, pattern: re.Pattern[bytes]) -> str | None:
    match = pattern.search(value)
    if match is None:
        return None
    return (match.group(1) or match.group(2) or b"").decode("latin-1")


def _parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between ``--boundary`` lines; the last one may be cut short."""
    delimiter = b"--" + boundary
    parts: list[bytes] = []
    current: list[bytes] | None = None
    for line in _LINE.findall(body):
        if line.startswith(delimiter):
            rest = line[len(delimiter) :].rstrip()
            if rest in (b"", b"--"):
                if current is not None:
                    parts.append(b"".join(current))
                current = None if rest == b"--" else []
                if rest == b"--":
                    break
                continue
        if current is not None:
            current.append(line)
    if current is not None:
        parts.append(b"".join(current))
    return parts


class _Scan:
    def __init__(self) -> None:
        self.attachment_seen = False

    def pick(self, raw: bytes, depth: int = 0) -> _Leaf | None:
        """The best text leaf in ``raw`` (headers + body), depth first, plain over HTML."""
        fields, body = split_message(raw)
        values = first_values(fields)
        ctype_value = values.get("content-type", b"")
        ctype = ctype_value.split(b";", 1)[0].strip().lower().decode("latin-1") or "text/plain"
        disposition = values.get("content-disposition", b"").split(b";", 1)[0].strip().lower()
        if ctype.startswith("multipart/"):
            boundary = content_param(ctype_value, _BOUNDARY)
            if not boundary:  # cannot be split: shown as text, as the full view does
                return _Leaf("text/plain", b"", "", body)
            if depth >= MAX_DEPTH:
                return None
            leaves = []
            for part in _parts(body, boundary.encode("latin-1")):
                leaf = self.pick(part, depth + 1)
                if leaf is None:
                    continue
                if ctype != "multipart/alternative" or leaf.content_type == "text/plain":
                    return leaf
                leaves.append(leaf)
            return leaves[0] if leaves else None
        if disposition == b"attachment" or ctype not in ("text/plain", "text/html"):
            self.attachment_seen = True
            return None
        encoding = values.get("content-transfer-encoding", b"").strip().lower().decode("latin-1")
        return _Leaf(ctype, ctype_value, encoding, body)


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
    text = decode_bytes(data, content_param(leaf.params, _CHARSET), truncated=not complete)
    return html_to_text(text) if leaf.content_type == "text/html" else text


def parse_preview(data: bytes, *, complete: bool = False, max_lines: int = 500) -> Preview:
    """Headers and up to ``max_lines`` body lines of ``data`` (``complete``: a whole message)."""
    try:
        fields, _body = split_message(data)
        summary = summary_from_fields(fields)
    except Exception:
        return Preview(HeaderSummary(), (), "none", NOTICE_UNDECODABLE)
    scan = _Scan()
    try:
        leaf = scan.pick(data)
        if leaf is None:
            notice = NOTICE_ATTACHMENT_FIRST if scan.attachment_seen else NOTICE_NO_TEXT
            return Preview(summary, (), "none", notice)
        text = _decode(leaf, complete=complete)
    except Exception:  # RecursionError on absurd input included
        return Preview(summary, (), "none", NOTICE_UNDECODABLE)
    lines = clean_block(text).split("\n", max_lines)[:max_lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return Preview(summary, (), "none", None)
    if leaf.content_type == "text/html":
        return Preview(summary, tuple(lines), "html", NOTICE_HTML)
    return Preview(summary, tuple(lines), "plain", None)
