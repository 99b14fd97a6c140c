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
    "iso-2022-jp": "iso2022_jp_ext",  # strict first; see _iso2022_jp for NEC/IBM characters
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

    UTF-8 with a few bad bytes stays UTF-8, with replacement characters (``_mostly_utf8``). A
    stateful 7-bit charset (ISO-2022-*, UTF-7, HZ) never falls back to UTF-8, which would
    "succeed" on its escape sequences: it is decoded leniently instead. ``truncated``: the data
    may end in the middle of a character, which is then dropped.
    """
    name = _codec(charset)
    if name is None and _ISO2022_JP_ESCAPE.search(data) and data.isascii():
        name = "iso2022_jp_ext"  # undeclared, but unmistakable
    for codec in (name, "utf-8"):
        if codec is None:
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            if truncated and exc.end >= len(data) - 1:  # cut mid-character, as TOP does
                try:
                    return data[: exc.start].decode(codec) + REPLACEMENT
                except Exception:
                    pass
        except Exception:  # codecs raise more than UnicodeDecodeError
            pass
        if codec == name and name in _STATEFUL:
            return _decode_stateful(data, name)
    lenient = data.decode("utf-8", "replace")
    if _mostly_utf8(data, lenient):
        return lenient
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # never fails; leftovers become C1, sanitised later


def _mostly_utf8(data: bytes, lenient: str) -> bool:
    """UTF-8 with a stray bad byte or two: more valid multi-byte characters than bad bytes (so
    ``Grüße aus Köln\\xff`` stays UTF-8), or bad bytes under 0.5 % of a long text.

    Text in a single-byte charset rarely forms even one valid UTF-8 sequence.
    """
    bad = lenient.count(REPLACEMENT) - data.count(b"\xef\xbf\xbd")  # U+FFFD sent as such
    if bad <= 0:
        return True
    non_ascii = len(lenient) - len(lenient.encode("ascii", "ignore"))
    valid_multibyte = non_ascii - lenient.count(REPLACEMENT)
    return valid_multibyte >= bad or bad <= len(data) // 200


# -- stateful 7-bit charsets ---------------------------------------------------------------------

_STATEFUL = {
    "iso2022_jp", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3",
    "iso2022_jp_ext", "iso2022_kr", "utf_7", "hz",
}
_ISO2022_JP_ESCAPE = re.compile(rb"\x1b\$[@B]")
_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|&@|\$\(D|\$\(O|\$\(P|\$\(Q|[^\x1b]{0,3})")


def _decode_stateful(data: bytes, name: str) -> str:
    if not name.startswith("iso2022_jp"):
        return data.decode(name, "replace")
    for codec in ("iso2022_jp_2", "iso2022_jp_2004"):  # supersets, strict
        try:
            return data.decode(codec)
        except Exception:
            continue
    return _iso2022_jp(data)


def _iso2022_jp(data: bytes) -> str:
    """ISO-2022-JP as Microsoft writes it (CP50220/50221): JIS X 0208 with the NEC row 13 and
    IBM extension characters (``№``, ``①``, ``ⅰ``), decoded through the CP932 table; anything
    else undecodable becomes a replacement character."""
    out: list[str] = []
    mode = "ascii"
    pos = 0
    while pos < len(data):
        if data[pos] == 0x1B:
            match = _ESCAPE.match(data, pos)
            assert match is not None  # the last alternative matches anything
            seq = match.group(1)
            mode = {b"(B": "ascii", b"(J": "ascii", b"(I": "kana", b"$@": "jis", b"$B": "jis",
                    b"&@": mode}.get(seq, "other")
            if mode == "other":
                out.append(REPLACEMENT)
            pos = match.end()
            continue
        end = data.find(b"\x1b", pos)
        end = len(data) if end < 0 else end
        out.append(_jis_run(data[pos:end], mode))
        pos = end
    return "".join(out)


def _jis_run(run: bytes, mode: str) -> str:
    if mode == "ascii":
        return run.decode("ascii", "replace")
    if mode == "kana":
        return bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in run).decode("cp932", "replace")
    if mode != "jis":
        return REPLACEMENT if run.strip() else run.decode("ascii", "replace")
    out: list[str] = []
    i = 0
    while i < len(run):
        j1 = run[i]
        if j1 in b"\r\n" or i + 1 >= len(run):  # a line end inside a JIS run, or half a pair
            out.append(run[i : i + 1].decode("ascii", "replace"))
            i += 1
            continue
        j2 = run[i + 1]
        if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
            out.append(REPLACEMENT)
            i += 2
            continue
        s1 = (j1 - 0x21) // 2 + 0x81
        s1 += 0x40 if s1 > 0x9F else 0
        s2 = j2 + 0x1F + (j2 >= 0x60) if j1 % 2 else j2 + 0x7E
        out.append(bytes((s1, s2)).decode("cp932", "replace"))
        i += 2
    return "".join(out)


def decode_header_bytes(data: bytes) -> str:
    """A raw header value: UTF-8 if it is, else Windows-1252/Latin-1."""
    if data.isascii() and b"\x1b" not in data:
        return data.decode("ascii")
    return decode_bytes(data, None)  # raw ISO-2022-JP, as old Japanese mailers send, included


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
