"""Parse a CAPA answer (RFC 2449) into :class:`Capabilities`."""

from __future__ import annotations

from collections.abc import Iterable

from popui.pop3.models import Capabilities


def parse_capabilities(lines: Iterable[bytes | str]) -> Capabilities:
    raw: list[str] = []
    fields: dict[str, object] = {"known": True}
    for item in lines:
        line = item.decode("utf-8", "replace") if isinstance(item, bytes) else item
        line = line.strip()
        if not line:
            continue
        raw.append(line)
        name, _, rest = line.partition(" ")
        name = name.upper()
        args = rest.split()
        if name in ("TOP", "UIDL", "PIPELINING", "USER", "STLS", "UTF8"):
            fields[name.lower()] = True
        elif name == "RESP-CODES":
            fields["resp_codes"] = True
        elif name == "AUTH-RESP-CODE":
            fields["auth_resp_code"] = True
        elif name == "SASL":
            fields["sasl"] = tuple(a.upper() for a in args)
        elif name == "LOGIN-DELAY" and args and args[0].isdigit():
            fields["login_delay"] = int(args[0])
        elif name == "EXPIRE" and args:
            fields["expire"] = " ".join(args)
        elif name == "IMPLEMENTATION":
            fields["implementation"] = rest.strip() or None
    return Capabilities(raw=tuple(raw), **fields)  # type: ignore[arg-type]
