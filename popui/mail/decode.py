"""Bytes and RFC 2047 encoded words to ``str``, whatever the charset label says. Never raises."""

from __future__ import annotations

import binascii
import codecs
import re

from popui.mail.sanitize import REPLACEMENT

# Labels seen in real mail whose proper codec is a superset or has another name.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    # What senders mean by these is, in practice, Windows-1252.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "unknown": "utf-8",
    "default": "utf-8",
    "utf8": "utf-8",
}


def _codec(charset: str | None) -> str | None:
    """The Python text codec for a MIME charset label, or None when there is none."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower().split("*", 1)[0]  # RFC 2231 language suffix
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    # Refuse bytes-to-bytes codecs (base64, zlib, rot13...) and escape-interpreting ones.
    if not getattr(info, "_is_text_encoding", True) or "escape" in info.name:
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None, *, truncated: bool = False) -> str:
    """Decode with the labelled charset; if it is unknown or wrong, UTF-8, then Windows-1252.

    ``truncated``: the data may end in the middle of a character, which is then dropped.
    """
    for name in (_codec(charset), "utf-8"):
        if name is None:
            continue
        try:
            return data.decode(name)
        except UnicodeDecodeError as exc:
            if truncated and exc.end >= len(data) - 1:  # cut mid-character, as TOP does
                try:
                    return data[: exc.start].decode(name) + REPLACEMENT
                except Exception:
                    continue
        except Exception:  # codecs raise more than UnicodeDecodeError
            continue
    lenient = data.decode("utf-8", "replace")
    if lenient.count(REPLACEMENT) <= len(data) // 200:  # UTF-8 with a stray bad byte or two
        return lenient
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # never fails; leftovers become C1, sanitised later


def decode_header_bytes(data: bytes) -> str:
    """A raw header value: UTF-8 if it is, else Windows-1252/Latin-1."""
    if data.isascii():
        return data.decode("ascii")
    return decode_bytes(data, None)


ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([qQbB])\?([^?]*?)\?=")
_WS_ONLY = re.compile(r"[ \t\r\n]*")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _q_decode(text: str) -> bytes:
    data = text.replace("_", " ").encode("latin-1", "replace")
    return _QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def b64_lenient(text: str | bytes) -> bytes:
    """Base64 without raising: ignores junk characters, decodes every complete 4-char group."""
    raw = text.encode("ascii", "ignore") if isinstance(text, str) else text
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", raw.split(b"=", 1)[0] if b"=" in raw else raw)
    whole = len(clean) // 4 * 4
    rest = clean[whole:]
    try:
        out = binascii.a2b_base64(clean[:whole]) if whole else b""
        if len(rest) >= 2:  # a padded tail that lost its '='
            out += binascii.a2b_base64(rest + b"=" * (4 - len(rest)))
    except binascii.Error:
        return b""
    return out


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words anywhere in ``value``, leniently.

    Whitespace between adjacent encoded words is dropped, and adjacent words in the same charset
    are joined as bytes first, so a multi-byte character split across two words survives.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = b""
    pending_charset: str | None = None
    pos = 0
    for match in ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        if gap and (pending_charset is None or not _WS_ONLY.fullmatch(gap)):
            if pending_charset is not None:
                out.append(decode_bytes(pending, pending_charset))
                pending, pending_charset = b"", None
            out.append(gap)
        charset, enc, text = match.groups()
        chunk = b64_lenient(text) if enc in "bB" else _q_decode(text)
        if pending_charset is not None and charset.lower() != pending_charset.lower():
            out.append(decode_bytes(pending, pending_charset))
            pending = b""
        pending += chunk
        pending_charset = charset
        pos = match.end()
    if pending_charset is not None:
        out.append(decode_bytes(pending, pending_charset))
    out.append(value[pos:])
    return "".join(out)
