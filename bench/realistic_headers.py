"""Header blocks shaped like real mail: about 1.75 KB on average, most of it transport noise.

A real header block is mostly Received chains, DKIM and ARC signatures, Authentication-Results
and List-* fields; the handful of fields a list row needs (From, Subject, Date...) are a tenth of
it. A summariser measured on 400-byte headers looks five times faster than it is.

    from realistic_headers import realistic_header
    realistic_header(i, random.Random(1))   # bytes, CRLF lines, ends with the blank line
"""

from __future__ import annotations

import base64
import random

_NAMES = [
    "Alice Martin", "Bob Chen", "Chloé Dubois", "Dmitri Ivanov", "Eva Müller", "Farid Haddad",
    "Grace O'Neill", "Hiro Tanaka", "Inès Moreau", "Jonas Berg", "Kwame Mensah", "Lena Novak",
]
_DOMAINS = ["example.org", "example.com", "mail.example.net", "lists.example.org"]
_LISTS = ["dev", "announce", "users", "security", "release-team"]
_SUBJECTS = [
    "Meeting notes for {day}", "Invoice {n}", "Your order {n} has shipped", "photos",
    "Weekly report, week {week}", "lunch on {day}?", "[dev] Build {n} failed",
    "Reminder: dentist appointment", "Newsletter #{week}: what's new", "Quarterly numbers",
    "Proposal for the new onboarding flow and the follow-up tasks we discussed on {day}",
]
_ENCODED_SUBJECTS = [
    "=?utf-8?q?R=C3=A9union_de_lundi?=", "=?utf-8?b?0J/RgNC40LLQtdGC?=",
    "=?iso-8859-1?q?Gr=FC=DFe_aus_M=FCnchen?=",
    "=?UTF-8?B?5Lya6K2w44Gu6K2w5LqL6Yyy?= =?UTF-8?B?77yI56ys5LqM5Zue77yJ?=",
]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MAILERS = ["Microsoft Outlook 16.0", "Apple Mail (2.3774.500.171.1.1)", "Mutt/2.2.12",
            "Thunderbird 128.3.1"]


def _b64(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n)).decode()


def _fold(name: str, value: str, width: int = 76) -> str:
    """``Name: value`` folded at spaces (and inside long tokens, as signers do) to ``width``."""
    out, line = [], f"{name}: "
    for word in value.split(" "):
        while len(line) + len(word) > width and len(word) > width - 8:
            room = max(8, width - len(line))
            out.append(line + word[:room])
            line, word = "\t", word[room:]
        if len(line) + len(word) > width and line.strip():
            out.append(line.rstrip())
            line = "\t"
        line += word + " "
    out.append(line.rstrip())
    return "\r\n".join(out) + "\r\n"


def _ip(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def _date(i: int) -> str:
    day = 1 + i * 28 // 10_000 % 28
    return f"{_DAYS[day % 7]}, {day:02d} Feb 2025 {i // 60 % 24:02d}:{i % 60:02d}:00 +0100"


def _address(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(_NAMES)
    local = name.split()[0].lower().replace("é", "e").replace("è", "e")
    address = f"{local}@{rng.choice(_DOMAINS)}"
    shown = f'"{name}" <{address}>' if "'" in name else f"{name} <{address}>"
    if rng.random() < 0.1:
        shown = f"=?utf-8?q?{name.replace(' ', '_')}?= <{address}>".replace("é", "=C3=A9")
    return shown, address


def realistic_header(i: int, rng: random.Random, content_type: str | None = None) -> bytes:
    """The header block of message ``i`` (CRLF lines, blank line at the end); deterministic.

    ``content_type``: the Content-Type value (for a message with that body); by default one of
    text/plain, multipart/alternative, multipart/mixed.
    """
    sender, address = _address(rng)
    domain = address.split("@", 1)[1]
    date = _date(i)
    mailing_list = rng.random() < 0.4
    reply = rng.random() < 0.35
    if rng.random() < 0.12:
        subject = rng.choice(_ENCODED_SUBJECTS)
    else:
        subject = rng.choice(_SUBJECTS).format(
            day=rng.choice(_DAYS), n=rng.randint(1000, 99999), week=rng.randint(1, 52)
        )
    if reply:
        subject = "Re: " + subject
    h: list[str] = [f"Return-Path: <{address}>\r\n", "Delivered-To: user@popui.test\r\n"]
    hosts = ["mail.popui.test", f"mx{i % 7}.popui.test", f"smtp-out{i % 3}.{domain}",
             f"relay{i % 5}.{domain}", f"submit.{domain}"]
    for hop in range(rng.randint(1, 3)):
        frm, by = hosts[hop + 1], hosts[hop]
        h.append(_fold("Received", (
            f"from {frm} ({frm} [{_ip(rng)}]) by {by} with ESMTPS id "
            f"{_b64(rng, 9)} for <user@popui.test> (version=TLS1_3); {date}"
        )))
    if rng.random() < 0.22:
        h.append(_fold("ARC-Seal", (
            f"i=1; a=rsa-sha256; t={1738400000 + i}; cv=none; d={domain}; s=arc-2024; "
            f"b={_b64(rng, 96)}"
        )))
        h.append(_fold("ARC-Message-Signature", (
            f"i=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=arc-2024; "
            "h=to:subject:message-id:date:from:mime-version:dkim-signature; "
            f"bh={_b64(rng, 32)}; b={_b64(rng, 96)}"
        )))
        h.append(_fold("ARC-Authentication-Results", (
            f"i=1; mx.popui.test; dkim=pass header.i=@{domain} header.s=s1 "
            f"header.b={_b64(rng, 6)}; spf=pass (popui.test: domain of {address} designates "
            f"{_ip(rng)} as permitted sender) smtp.mailfrom={address}; "
            f"dmarc=pass (p=NONE sp=NONE dis=NONE) header.from={domain}"
        )))
    h.append(_fold("DKIM-Signature", (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; t={1738400000 + i}; "
        "h=from:to:subject:date:message-id:mime-version:content-type:list-id; "
        f"bh={_b64(rng, 32)}; b={_b64(rng, 128)}"
    )))
    h.append(_fold("Authentication-Results", (
        f"mx.popui.test; dkim=pass header.d={domain}; spf=pass smtp.mailfrom={domain}; "
        f"dmarc=pass header.from={domain}"
    )))
    h.append(f"From: {sender}\r\n")
    recipients = ["Test User <user@popui.test>"]
    if rng.random() < 0.3:
        recipients += [_address(rng)[0] for _ in range(rng.randint(1, 3))]
    h.append(_fold("To", ", ".join(recipients)))
    if rng.random() < 0.2:
        h.append(_fold("Cc", ", ".join(_address(rng)[0] for _ in range(rng.randint(1, 2)))))
    h.append(_fold("Subject", subject))
    h.append(f"Date: {date}\r\n")
    h.append(f"Message-ID: <{_b64(rng, 12).replace('/', '_')}.{i:06d}@{domain}>\r\n")
    if reply:
        refs = [f"<{_b64(rng, 9).replace('/', '_')}@{rng.choice(_DOMAINS)}>"
                for _ in range(rng.randint(1, 6))]
        h.append(f"In-Reply-To: {refs[-1]}\r\n")
        h.append(_fold("References", " ".join(refs)))
    if mailing_list:
        name = rng.choice(_LISTS)
        h.append(f"List-Id: {name.title()} discussion <{name}.lists.example.org>\r\n")
        h.append(_fold("List-Unsubscribe", (
            f"<https://lists.example.org/mailman/options/{name}>, "
            f"<mailto:{name}-request@lists.example.org?subject=unsubscribe>"
        )))
        h.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        h.append(f"List-Archive: <https://lists.example.org/archives/{name}/>\r\n")
        h.append(f"List-Post: <mailto:{name}@lists.example.org>\r\n")
        h.append(f"Precedence: list\r\nSender: \"{name}\" <{name}-bounces@lists.example.org>\r\n")
    if rng.random() < 0.5:
        h.append(f"X-Mailer: {rng.choice(_MAILERS)}\r\n")
    h.append("MIME-Version: 1.0\r\n")
    kind = rng.random()
    if content_type is not None:
        h.append(f"Content-Type: {content_type}\r\n")
    elif kind < 0.7:
        h.append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    elif kind < 0.9:
        h.append(f'Content-Type: multipart/alternative; boundary="=_alt_{i:06d}"\r\n')
    else:
        h.append(f'Content-Type: multipart/mixed; boundary="=_mix_{i:06d}"\r\n')
    return "".join(h).encode() + b"\r\n"


def corpus(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [realistic_header(i, rng) for i in range(n)]


if __name__ == "__main__":
    blocks = corpus(10_000)
    sizes = sorted(len(b) for b in blocks)
    print(f"{len(blocks)} headers: mean {sum(sizes) / len(sizes):.0f} B, "
          f"median {sizes[len(sizes) // 2]} B, min {sizes[0]} B, max {sizes[-1]} B")
    print(blocks[0].decode())
