"""HTML parts as readable plain text (the output is still untrusted: sanitise before display)."""

from __future__ import annotations

import html
import re

import html2text

#: Beyond this many characters html2text gets slow (about 1 s per MB); a plain tag strip is used.
HTML2TEXT_LIMIT = 300_000

_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(?:br|/p|/div|/tr|/h[1-6]|li|/li|hr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>|<!--.*?-->", re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
_ROW_END = re.compile(r"</tr\s*>", re.IGNORECASE)


def _converter() -> html2text.HTML2Text:
    conv = html2text.HTML2Text()
    conv.body_width = 0  # the view wraps
    conv.ignore_images = True
    conv.ignore_emphasis = True
    conv.ignore_tables = True  # mail uses tables for layout
    conv.inline_links = False  # link text stays in the flow, URLs are listed at the end
    conv.unicode_snob = True
    return conv


def strip_tags(markup: str) -> str:
    """A fast, crude conversion for HTML too big for html2text."""
    text = _DROP.sub("", markup)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def html_to_text(markup: str) -> str:
    """Readable text for an HTML part: images dropped, links kept as text plus a URL list."""
    if len(markup) > HTML2TEXT_LIMIT:
        return strip_tags(markup)
    try:
        # Layout tables: cells apart by a space, rows on lines of their own.
        markup = _ROW_END.sub("</tr><br>", _CELL_END.sub(" </td>", markup))
        text = _converter().handle(markup)
    except Exception:  # html2text has assertion paths on broken markup
        return strip_tags(markup)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", text).strip("\n") + "\n"
