"""Every link of a message, with where it really goes: URLs in the text parts and the
``<a href>`` targets of the HTML parts (a link that shows one address and goes to another is
flagged). No Textual here; never raises.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from urllib.parse import urlsplit

from popui.mail.decode import decode_bytes
from popui.mail.sanitize import clean_line

#: Links listed at most (a hostile message may hold millions).
MAX_LINKS = 1000
#: Schemes a link may be opened with; others (javascript:, data:, file:) are only listed.
OPENABLE = frozenset({"http", "https", "ftp", "mailto"})

_URL = re.compile(r"""(?:(?:https?|ftp)://|mailto:|www\.)[^\s<>"'`{}|\\^]+""", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}>"
_DOMAIN = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[:/?#]\S*)?$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """``target`` is where the link goes; ``text`` what the message shows for it ("" for a
    bare URL). Both are display-clean."""

    target: str
    text: str = ""
    source: str = "text"  # "text" or "html"

    @property
    def host(self) -> str:
        """The host the link really goes to ("" for mailto: and the like)."""
        return _host(self.target)

    @property
    def shown_host(self) -> str:
        """The host the link text claims, when the text looks like an address."""
        match = _DOMAIN.match(self.text.strip())
        return match.group(1).lower() if match else ""

    @property
    def deceptive(self) -> bool:
        """The text names one host and the link goes to another (phishing's favourite)."""
        shown, real = self.shown_host, self.host
        if not shown or not real:
            return False
        shown = shown.removeprefix("www.")
        real = real.removeprefix("www.")
        return real != shown and not real.endswith("." + shown)

    @property
    def openable(self) -> bool:
        return self.scheme in OPENABLE

    @property
    def scheme(self) -> str:
        return self.target.split(":", 1)[0].lower() if ":" in self.target else ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _clean_target(url: str) -> str:
    url = "".join(url.split())  # hrefs may be wrapped over lines
    if url.lower().startswith("www."):
        url = "http://" + url
    return clean_line(url)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if tag == "area" and href:
                self.links.append(Link(_clean_target(href), "", "html"))
            elif tag == "a":
                self._href = href
                self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text = " ".join("".join(self._text).split())
            if self._href.strip() and not self._href.strip().startswith("#"):
                self.links.append(Link(_clean_target(self._href), clean_line(text)[:200], "html"))
            self._href = None


def text_links(text: str) -> list[Link]:
    out = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        out.append(Link(_clean_target(url), "", "text"))
    return out


def html_links(markup: str) -> list[Link]:
    parser = _Anchors()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient, but promise nothing
        pass
    return parser.links


def _text_parts(message: Message) -> list[tuple[str, str]]:
    """``(content type, text)`` of the text parts that are not attachments."""
    parts = []
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        if (part.get_content_disposition() or "") == "attachment":
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            parts.append((ctype, decode_bytes(data, part.get_content_charset())))
    return parts


def extract_links(raw: bytes) -> list[Link]:
    """The message's links in order of appearance, each target once per shown text."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        parts = _text_parts(message)
    except Exception:
        parts = [("text/plain", decode_bytes(raw))]
    seen: set[tuple[str, str]] = set()
    links: list[Link] = []
    for ctype, text in parts:
        found = html_links(text) if ctype == "text/html" else text_links(text)
        for link in found:
            key = (link.target, link.text)
            if link.target and key not in seen:
                seen.add(key)
                links.append(link)
                if len(links) >= MAX_LINKS:
                    return links
    return links
