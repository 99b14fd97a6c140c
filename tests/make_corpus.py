"""A corpus of hostile and odd messages for the parsing layer and, later, the UI tests.

Small cases are written to ``tests/data/*.eml`` (committed) with a table in
``tests/data/README.md``; run ``python tests/make_corpus.py`` after changing a case. Big cases
(megabytes, deep nesting, thousands of parts) are only generated at test time.

    from make_corpus import iter_corpus, iter_big_corpus, top
    for name, raw, description in iter_corpus(): ...
"""

from __future__ import annotations

import base64
import binascii
import os
import quopri
from collections.abc import Callable, Iterator
from pathlib import Path

DATA = Path(__file__).parent / "data"

Builder = Callable[[], bytes]
_CASES: list[tuple[str, str, Builder]] = []


def case(description: str) -> Callable[[Builder], Builder]:
    """Register a small case; its name is the function's name."""

    def register(build: Builder) -> Builder:
        _CASES.append((build.__name__, description, build))
        return build

    return register


def _b(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def _q(text: str, charset: str = "utf-8") -> str:
    data = quopri.encodestring(text.encode(charset), header=True).decode("ascii")
    return f"=?{charset}?q?{data.replace('?', '=3F')}?="


def _msg(headers: str | bytes, body: bytes | str = b"Body.\n", *, eol: bytes = b"\n") -> bytes:
    head = headers.strip("\n").encode("utf-8") if isinstance(headers, str) else headers.strip(b"\n")
    content = body.encode("utf-8") if isinstance(body, str) else body
    raw = head + b"\n\n" + content
    return raw if eol == b"\n" else raw.replace(b"\n", eol)


_STD = (
    "From: Sender <sender@example.com>\nTo: you@example.com\nDate: Tue, 02 Jan 2024 10:00:00 +0100"
)

# -- encodings ------------------------------------------------------------------------------


@case(
    "RFC 2047 words in many charsets (UTF-8, Latin-1/15, KOI8-R, CP1251, GB2312, Big5, "
    "Shift_JIS, EUC-KR, ISO-2022-JP), B and Q, in Subject and From"
)
def rfc2047_many_charsets() -> bytes:
    words = [
        _b("Grüße", "utf-8"),
        _q("café", "iso-8859-1"),
        _q("€uro", "iso-8859-15"),
        _b("Привет", "koi8-r"),
        _q("мир", "windows-1251"),
        _b("中文", "gb2312"),
        _b("繁體", "big5"),
        _b("日本", "shift_jis"),
        _b("한국어", "euc-kr"),
        _b("テスト", "iso-2022-jp"),
    ]
    return _msg(
        f"From: {_b('Jörg Müller')} <j@example.de>\nTo: you@example.com\n"
        f"Subject: {' '.join(words)}\nDate: Tue, 02 Jan 2024 10:00:00 +0100"
    )


@case("A multi-byte character split across two encoded words, words folded over lines")
def rfc2047_split_multibyte() -> bytes:
    data = "日本語のテキスト".encode()
    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    return _msg(f"{_STD}\nSubject: =?utf-8?b?{first}?=\n =?utf-8?b?{second}?=")


@case(
    "Malformed encoded words: unterminated, bad base64, unknown encoding letter, spaces "
    "inside, empty, language tag (RFC 2231), charset 'base64' and 'zlib'"
)
def rfc2047_malformed() -> bytes:
    return _msg(
        f"{_STD}\nSubject: =?utf-8?q?unterminated =?utf-8?b?!!!notb64?= =?utf-8?x?what?= "
        "=?utf-8?q?spa ce?= =?utf-8?q??= =?utf-8*de?q?Sprache?= =?base64?b?QUFB?= "
        "=?zlib?b?eJw=?= =?utf-8?b?w6k?="
    )


@case("Raw 8-bit UTF-8 in Subject, From and To, without any MIME declaration")
def raw_8bit_utf8() -> bytes:
    return _msg(
        "From: Zoë Ångström <zoe@example.se>\nTo: Jürgen <j@example.de>\n"
        "Subject: Raw UTF-8: naïve café 日本\nDate: Tue, 02 Jan 2024 10:00:00 +0100",
        "Grüße ohne Content-Type.\n",
    )


@case("Raw 8-bit Latin-1 in headers and body, no charset anywhere")
def raw_8bit_latin1() -> bytes:
    return (f"{_STD}\nSubject: Caf\xe9 cr\xe8me\n\nD\xe9j\xe0 vu, no charset.\n").encode("latin-1")


@case("Unknown charsets: x-no-such-charset in an encoded word and on the body")
def unknown_charset() -> bytes:
    return _msg(
        f"{_STD}\nSubject: =?x-no-such-charset?q?caf=E9?=\n"
        "Content-Type: text/plain; charset=x-no-such-charset",
        "caf\xe9 body\n".encode("latin-1"),
    )


@case("Mislabelled charsets: 'utf-8' body that is Latin-1, 'us-ascii' body with UTF-8")
def mislabelled_charset() -> bytes:
    body = (
        b"--b\nContent-Type: text/plain; charset=utf-8\n\nLatin-1: caf\xe9 cr\xe8me br\xfbl\xe9e\n"
    )
    body += b"--b\nContent-Type: text/plain; charset=us-ascii\n\nUTF-8: caf\xc3\xa9\n--b--\n"
    return _msg(f"{_STD}\nSubject: mislabelled\nContent-Type: multipart/mixed; boundary=b", body)


@case("ISO-2022-JP body (7-bit escape sequences that are not terminal escapes)")
def iso2022jp_body() -> bytes:
    body = "こんにちは、世界。\n日本語のメールです。\n".encode("iso-2022-jp")
    return _msg(
        f"{_STD}\nSubject: {_b('日本語', 'iso-2022-jp')}\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit",
        body,
    )


def _cp50220(text: str) -> bytes:
    """ISO-2022-JP as Microsoft writes it: CP932 characters (NEC and IBM extensions too) put
    into JIS X 0208 escapes, which Python's iso2022_jp codecs cannot encode or decode."""
    out, jis = bytearray(), False
    for char in text:
        if char.isascii():
            if jis:
                out += b"\x1b(B"
                jis = False
            out += char.encode()
            continue
        if not jis:
            out += b"\x1b$B"
            jis = True
        s1, s2 = char.encode("cp932")
        s1 -= 0x40 if s1 >= 0xE0 else 0
        j1 = (s1 - 0x81) * 2 + 0x21
        if s2 >= 0x9F:
            j1, j2 = j1 + 1, s2 - 0x7E
        else:
            j2 = s2 - 0x1F - (s2 >= 0x80)
        out += bytes((j1, j2))
    return bytes(out + (b"\x1b(B" if jis else b""))


@case("ISO-2022-JP with NEC and IBM extension characters (№, ①, ⅰ, ㈱): Subject, raw To, body")
def iso2022jp_nec_extensions() -> bytes:
    subject = base64.b64encode(_cp50220("№①のお知らせ")).decode()
    headers = (
        b"From: Sender <sender@example.com>\nTo: " + _cp50220("㈱テスト")  # raw, no RFC 2047
        + f" <you@example.com>\nSubject: =?iso-2022-jp?b?{subject}?=\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: 7bit".encode()
    )
    return _msg(headers, _cp50220("会員№123\n①ⅰ㈱テスト\n"))


@case("Short UTF-8 with one stray byte: raw in Subject and body; file names raw, RFC 2231, 2047")
def utf8_stray_byte() -> bytes:
    stray = "Grüße aus Köln".encode() + b"\xff"
    return _msg(
        b"From: Sender <sender@example.com>\nTo: you@example.com\nSubject: "
        + stray + b"\nContent-Type: multipart/mixed; boundary=s\n",
        b"--s\nContent-Type: text/plain; charset=utf-8\n\n" + stray + b"\n"
        b"--s\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%FF.txt\n\n"
        b"data\n--s\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="' + stray + b'.txt"\n\n'
        b"data\n--s\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?Gr=C3=BC=C3=9Fe=FF?=.txt"\n\n'
        b"data\n--s--\n",
    )


# -- MIME structure ----------------------------------------------------------------------------


@case("multipart/alternative: text/plain then text/html")
def alternative() -> bytes:
    return _msg(
        f"{_STD}\nSubject: alternative\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="alt"',
        "--alt\nContent-Type: text/plain; charset=utf-8\n\nPlain version.\n"
        "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>HTML <b>version</b></p>\n"
        "--alt--\n",
    )


@case("multipart/related: HTML only, with an inline cid: image, script, style and a tracker")
def related_html_only() -> bytes:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Hello <a href='https://example.com/x'>link text</a></p>"
        "<img src='cid:logo'><img src='https://tracker.example/p.gif'></body></html>\n"
    )
    return _msg(
        f"{_STD}\nSubject: related\nContent-Type: multipart/related; boundary=rel",
        f"--rel\nContent-Type: text/html; charset=utf-8\n\n{html}"
        "--rel\nContent-Type: image/png\nContent-ID: <logo>\n"
        "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--rel--\n",
    )


@case("multipart/mixed with text and two attachments (PDF, RFC 2231 UTF-8 file name)")
def mixed_attachments() -> bytes:
    return _msg(
        f"{_STD}\nSubject: mixed\nContent-Type: multipart/mixed; boundary=mix",
        "--mix\nContent-Type: text/plain\n\nSee attached.\n"
        "--mix\nContent-Type: application/pdf; name=report.pdf\n"
        "Content-Disposition: attachment; filename=report.pdf\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        "--mix\nContent-Type: text/plain\n"
        "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20Rechnung.txt\n\n"
        "euro\n--mix--\n",
    )


@case("Nested message/rfc822: an attached forward whose inner message has its own parts")
def nested_rfc822() -> bytes:
    inner = (
        "From: Inner <inner@example.com>\nSubject: inner \x1b[2J\n"
        "Content-Type: multipart/mixed; boundary=in\n\n"
        "--in\nContent-Type: text/plain\n\nInner text.\n--in--\n"
    )
    return _msg(
        f"{_STD}\nSubject: forward\nContent-Type: multipart/mixed; boundary=out",
        "--out\nContent-Type: text/plain\n\nForwarded below.\n"
        "--out\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        f"{inner}--out--\n",
    )


@case("multipart/mixed without a boundary parameter")
def boundary_missing() -> bytes:
    return _msg(
        f"{_STD}\nSubject: no boundary\nContent-Type: multipart/mixed",
        "--x\nContent-Type: text/plain\n\ntext\n--x--\n",
    )


@case("multipart/mixed whose boundary never appears in the body")
def boundary_never_used() -> bytes:
    return _msg(
        f"{_STD}\nSubject: unused boundary\nContent-Type: multipart/mixed; boundary=zzz",
        "Just text, no parts at all.\n",
    )


@case("Closing boundary missing: the message ends inside an attachment")
def boundary_unterminated() -> bytes:
    return _msg(
        f"{_STD}\nSubject: unterminated\nContent-Type: multipart/mixed; boundary=b",
        "--b\nContent-Type: text/plain\n\nHello.\n--b\nContent-Type: image/gif\n"
        "Content-Disposition: attachment; filename=a.gif\n"
        "Content-Transfer-Encoding: base64\n\nR0lGODlh",
    )


@case("Bad base64: junk characters, wrong padding, truncated group")
def bad_base64() -> bytes:
    return _msg(
        f"{_STD}\nSubject: bad base64\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: base64",
        "SGVsbG8g!!d29y*bGQ=\n=====\nSGk\n",
    )


@case("Bad quoted-printable: invalid escapes, lone '=', over-long lines, =00 and =1B")
def bad_qp() -> bytes:
    return _msg(
        f"{_STD}\nSubject: bad qp\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable",
        "caf=C3=A9 =ZZ =4 = =00 =1B[2J " + "x" * 2000 + "\nend=\n",
    )


@case("uuencoded attachment inside a plain body (and Content-Transfer-Encoding: x-uuencode)")
def uuencode() -> bytes:
    encoded = binascii.b2a_uu(b"hello uuencode\n").decode()
    return _msg(
        f"{_STD}\nSubject: uuencode\nContent-Type: multipart/mixed; boundary=u",
        f"--u\nContent-Type: text/plain\n\nbegin 644 inline.txt\n{encoded}`\nend\n"
        "--u\nContent-Type: application/octet-stream; name=file.txt\n"
        f"Content-Transfer-Encoding: x-uuencode\n\nbegin 644 file.txt\n{encoded}`\nend\n"
        "--u--\n",
    )


@case("Outlook winmail.dat (application/ms-tnef) attachment")
def winmail_dat() -> bytes:
    tnef = base64.b64encode(b"\x78\x9f\x3e\x22" + bytes(range(64))).decode()
    return _msg(
        f"{_STD}\nSubject: tnef\nX-MS-Has-Attach: yes\nContent-Type: multipart/mixed; boundary=t",
        "--t\nContent-Type: text/plain\n\nSee winmail.dat\n"
        "--t\nContent-Type: application/ms-tnef; name=winmail.dat\n"
        "Content-Disposition: attachment; filename=winmail.dat\n"
        f"Content-Transfer-Encoding: base64\n\n{tnef}\n--t--\n",
    )


@case("A 0-byte message")
def empty() -> bytes:
    return b""


@case("Headers only: no blank line, no body")
def headers_only() -> bytes:
    return f"{_STD}\nSubject: headers only\n".encode()


@case("A body without any headers (starts with a blank line)")
def body_only() -> bytes:
    return b"\nNo headers at all.\n"


@case("An inline text/plain part with a file name (shown in the body and listed)")
def inline_text_with_filename() -> bytes:
    return _msg(
        f"{_STD}\nSubject: inline notes\nContent-Type: multipart/mixed; boundary=i",
        "--i\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Disposition: inline; filename=notes.txt\n\nThe notes, inline.\n"
        "--i\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--i--\n",
    )


@case("A top-level message/rfc822: the whole body is a forwarded message")
def toplevel_rfc822() -> bytes:
    return _msg(
        f"{_STD}\nSubject: forwarded as the body\nContent-Type: message/rfc822",
        "From: Inner <inner@example.com>\nSubject: inner\n"
        "Content-Type: text/plain\n\nThe forwarded text.\n",
    )


@case("No blank line after the headers: the first line that is not a field starts the body")
def no_blank_after_headers() -> bytes:
    return (f"{_STD}\nSubject: no separator\n"
            "Hello, this body follows the headers directly.\nSecond line.\n").encode()


# -- headers -------------------------------------------------------------------------------------


@case("No Date header")
def date_missing() -> bytes:
    return _msg("From: a@example.com\nSubject: no date")


@case("Garbage Date header")
def date_garbage() -> bytes:
    return _msg("From: a@example.com\nSubject: garbage date\nDate: yesterday-ish, 99 Foo 20x4")


@case("Extreme dates: year 9999 with -2359, a second Date of year 1, offset +9999")
def date_extreme() -> bytes:
    return _msg(
        "From: a@example.com\nSubject: extreme date\n"
        "Date: Fri, 31 Dec 9999 23:59:59 -2359\nDate: Mon, 1 Jan 0001 00:00:00 +9999"
    )


@case("Display names that look like addresses or domains, in From and To")
def display_name_spoof() -> bytes:
    return _msg(
        'From: "billing@bank.example" <x@evil.example>\nTo: "bank.example" <y@evil.example>\n'
        "Subject: spoof\nDate: Tue, 02 Jan 2024 10:00:00 +0100"
    )


@case("Subject header repeated three times (the first one counts)")
def subject_repeated() -> bytes:
    return _msg(f"{_STD}\nSubject: first\nSubject: second\nSubject: {_q('third')}")


@case("A 100 KB Subject line")
def header_100k_line() -> bytes:
    return _msg(f"{_STD}\nSubject: " + "long " * 20_000)


@case("Bare LF line ends throughout")
def bare_lf() -> bytes:
    return _msg(f"{_STD}\nSubject: bare LF", "line one\nline two\n")


@case("Bare CR line ends throughout (classic Mac), and a CR inside a body line")
def bare_cr() -> bytes:
    return _msg(f"{_STD}\nSubject: bare CR", "line one\nsafe text\rEVIL overwrite\n", eol=b"\r")


@case("CRLF line ends with NUL bytes in a header and in the body")
def nul_bytes() -> bytes:
    return _msg(f"{_STD}\nSubject: nul\x00here", "body\x00with\x00nuls\n", eol=b"\r\n")


# -- terminal and markup attacks ---------------------------------------------------------------

_CLEAR = "\x1b[2J\x1b[H"
_TITLE = "\x1b]0;owned title\x07"
_CLIP = "\x1b]52;c;" + base64.b64encode(b"rm -rf ~\n").decode() + "\x07"
_LINK = "\x1b]8;;https://evil.example/\x1b\\innocent\x1b]8;;\x1b\\"
_REPORTS = "\x1b[6n\x1b[c\x1bP$qm\x1b\\\x1b[>c\x1b[?1049h\x1b[?1000h"


@case("Clear screen / home cursor, raw in Subject, name and body, and RFC 2047 encoded")
def escape_clear_screen() -> bytes:
    return _msg(
        f"From: {_CLEAR}Bank <bank@example.com>\nSubject: a{_CLEAR}b {_q(_CLEAR)}",
        f"before{_CLEAR}after\n",
    )


@case("OSC 0 window title")
def escape_osc_title() -> bytes:
    return _msg(f"{_STD}\nSubject: {_TITLE} and {_b(_TITLE)}", f"body {_TITLE}\n")


@case("OSC 52 clipboard write, in a QP body and an encoded Subject")
def escape_osc52_clipboard() -> bytes:
    body = quopri.encodestring(f"copy this {_CLIP}\n".encode()).decode()
    return _msg(
        f"{_STD}\nSubject: {_q(_CLIP)}\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable",
        body,
    )


@case("OSC 8 hyperlink with innocent text")
def escape_osc8_link() -> bytes:
    return _msg(f"{_STD}\nSubject: {_b(_LINK)}", f"click {_LINK} now\n")


@case("Requests that make a terminal answer (cursor report, DA, DECRQSS), alt screen, mouse")
def escape_terminal_reports() -> bytes:
    return _msg(f"{_STD}\nSubject: {_b(_REPORTS)}", f"{_REPORTS}\n")


@case("C1 controls: U+009B CSI, U+0085 NEL, U+009D OSC in UTF-8, and raw 0x9b in Latin-1")
def c1_controls() -> bytes:
    c1 = _b("c1 \u009b2J \u0085 \u009d0;x\u009c")
    head = f"{_STD}\nSubject: {c1}\n"
    return head.encode() + b"Content-Type: text/plain; charset=iso-8859-1\n\nraw \x9b2J csi\n"


@case("Console markup that must stay text: [@click=app.quit], [bold red], [link=...], $var")
def markup_injection() -> bytes:
    text = "[@click=app.quit]x[/] [bold red]red[/bold red] "
    text += "[link=https://evil.example]y[/link] $primary"
    return _msg(
        f"From: [b]{text}[/b] <m@example.com>\nTo: you@example.com\nSubject: {text}",
        f"{text}\n[@click=app.bell]ring[/]\n",
    )


@case("Bidi overrides, isolates and zero-width characters in Subject, name, body, file name")
def bidi_zero_width() -> bytes:
    trick = (
        "invoice\u202efdp.exe \u2066x\u2069 a\u200bb\u200cc\u200dd\ufeffe\u2060f \u061c\u200e\u200f"
    )
    return _msg(
        f"From: {_b('Pay' + chr(0x202E) + 'Pal')} <x@evil.example>\nTo: you@example.com\n"
        f"Subject: {_b(trick)}\nContent-Type: multipart/mixed; boundary=b",
        f"--b\nContent-Type: text/plain; charset=utf-8\n\n{trick}\n"
        f"--b\nContent-Type: application/octet-stream\n"
        f'Content-Disposition: attachment; filename="{_b("invoice" + chr(0x202E) + "fdp.exe")}"\n\n'
        "MZ\n--b--\n",
    )


@case(
    "Hostile attachment names: ../../etc/passwd, /abs/path, C:\\ path, CON, .bashrc, "
    "escape codes, 300 characters, empty, RFC 2231 traversal"
)
def attachment_paths() -> bytes:
    names = [
        "../../etc/passwd",
        "/abs/path",
        "C:\\Windows\\system32\\evil.dll",
        "CON",
        ".bashrc",
        "esc\x1b[2J.txt",
        "x" * 300 + ".pdf",
        "",
    ]
    parts = "".join(
        f"--b\nContent-Type: application/octet-stream\n"
        f'Content-Disposition: attachment; filename="{name}"\n\nAAAA\n'
        for name in names
    )
    parts += (
        "--b\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=utf-8''..%2F..%2F.ssh%2Fauthorized_keys\n"
        "\nkey\n--b--\n"
    )
    return _msg(
        f"{_STD}\nSubject: hostile names\nContent-Type: multipart/mixed; boundary=b",
        "--b\nContent-Type: text/plain\n\nAttachments.\n" + parts,
    )


# -- big cases (generated at test time only) ---------------------------------------------------


def _nested(depth: int) -> bytes:
    head = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)
    )
    tail = b"".join(b"--b%d--\n" % i for i in range(depth, -1, -1))
    inner = b"--b%d\nContent-Type: text/plain\n\ndeep text\n" % depth
    return (
        b"Subject: nested %d\nContent-Type: multipart/mixed; boundary=b0\n\n" % depth
        + head
        + inner
        + tail
    )


def _big_cases() -> list[tuple[str, str, Builder]]:
    def body_5mb() -> bytes:
        return _msg(f"{_STD}\nSubject: 5 MB body", (b"x" * 75 + b"\n") * (5_000_000 // 76))

    def lines_200k() -> bytes:
        return _msg(
            f"{_STD}\nSubject: 200,000 lines", b"".join(b"line %d\n" % i for i in range(200_000))
        )

    def parts_5000() -> bytes:
        parts = b"".join(b"--b\nContent-Type: text/plain\n\npart %d\n" % i for i in range(2500))
        parts += b"".join(
            b"--b\nContent-Type: application/octet-stream\n"
            b"Content-Disposition: attachment; filename=f%d.bin\n"
            b"Content-Transfer-Encoding: base64\n\nAAAA\n" % i
            for i in range(2500)
        )
        return _msg(
            f"{_STD}\nSubject: 5,000 parts\nContent-Type: multipart/mixed; boundary=b",
            parts + b"--b--\n",
        )

    def attachment_20mb() -> bytes:
        blob = base64.encodebytes(os.urandom(20_000_000))
        return _msg(
            f"{_STD}\nSubject: 20 MB attachment\nContent-Type: multipart/mixed; boundary=b",
            b"--b\nContent-Type: text/plain\n\nBig file attached.\n"
            b"--b\nContent-Type: application/zip\n"
            b"Content-Disposition: attachment; filename=big.zip\n"
            b"Content-Transfer-Encoding: base64\n\n" + blob + b"--b--\n",
        )

    return [
        ("big_body_5mb", "A 5 MB text body", body_5mb),
        ("big_lines_200k", "200,000 body lines", lines_200k),
        ("big_nesting_100", "multipart nested 100 deep", lambda: _nested(100)),
        (
            "big_nesting_1500",
            "multipart nested 1,500 deep (beyond recursion limits)",
            lambda: _nested(1500),
        ),
        ("big_parts_5000", "5,000 MIME parts: 2,500 text, 2,500 attachments", parts_5000),
        ("big_attachment_20mb", "A 20 MB base64 attachment (random bytes)", attachment_20mb),
    ]


# -- access ------------------------------------------------------------------------------------


def generate_small() -> Iterator[tuple[str, bytes, str]]:
    """Every small case, freshly built: ``(name, raw bytes, description)``."""
    for name, description, build in _CASES:
        yield name, build(), description


def iter_corpus() -> Iterator[tuple[str, bytes, str]]:
    """The committed small cases from ``tests/data``: ``(name, raw bytes, description)``."""
    for name, description, _build in _CASES:
        yield name, (DATA / f"{name}.eml").read_bytes(), description


def iter_big_corpus() -> Iterator[tuple[str, bytes, str]]:
    """The big cases, generated one at a time (each is dropped when the caller moves on)."""
    for name, description, build in _big_cases():
        yield name, build(), description


def big_case_names() -> list[str]:
    return [name for name, _description, _build in _big_cases()]


def big_case(name: str) -> bytes:
    return next(build() for n, _d, build in _big_cases() if n == name)


def top(raw: bytes, lines: int) -> bytes:
    """What ``TOP n <lines>`` returns for ``raw``: the headers and the first body lines."""
    for separator in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        head, found, body = raw.partition(separator)
        if found:
            eol = separator[: len(separator) // 2]
            return head + found + eol.join(body.split(eol)[:lines])
    return raw


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _readme() -> str:
    rows = "\n".join(f"| `{name}.eml` | {_cell(description)} |" for name, description, _b in _CASES)
    big = "\n".join(f"| `{name}` | {description} |" for name, description, _b in _big_cases())
    return (
        "# Mail corpus\n\n"
        "Hostile and odd messages for the parsing layer (`popui/mail/`) and the UI tests.\n"
        "Generated by `tests/make_corpus.py` (run `python tests/make_corpus.py` after a change);\n"
        "read them with `make_corpus.iter_corpus()`. Do not edit the files by hand.\n\n"
        "| file | case |\n| --- | --- |\n" + rows + "\n\n"
        "Big cases are generated at test time by `make_corpus.iter_big_corpus()`,\n"
        "never committed:\n\n"
        "| name | case |\n| --- | --- |\n" + big + "\n"
    )


def write() -> None:
    DATA.mkdir(exist_ok=True)
    for old in DATA.glob("*.eml"):
        old.unlink()
    for name, raw, _description in generate_small():
        (DATA / f"{name}.eml").write_bytes(raw)
    (DATA / "README.md").write_text(_readme(), encoding="utf-8")


if __name__ == "__main__":
    write()
