"""What a message's body text is: one rule for the preview (``TOP``) and the full view (``RETR``).

Both walk the MIME tree their own way (a scanner that survives ``TOP``'s cut, and mail-parser),
and ask this module what each part is and how the text parts make one body:

- a multipart whose boundary splits it is looked into; one that does not split (no boundary
  parameter, or a boundary that never appears) is text, as sent;
- a ``message/rfc822`` is looked into, unless it is ``Content-Disposition: attachment``;
- ``text/plain`` and ``text/html`` are body text unless ``Content-Disposition: attachment``;
  with a file name they are listed as attachments too (``inline; filename=notes.txt``);
- anything else is an attachment;
- the body is the plain parts, joined; else the HTML parts as text.

Where the header block ends is ``header_block.split_message``'s rule, also for both.
"""

from __future__ import annotations

from dataclasses import dataclass

from popui.mail.html_text import html_to_text

TEXT_TYPES = frozenset({"text/plain", "text/html"})


@dataclass(frozen=True)
class Role:
    look_inside: bool = False  # its parts (or the message it holds) are walked
    text: bool = False  # its text is part of the body
    listed: bool = False  # listed, and savable, as an attachment


def part_role(content_type: str, disposition: str, *, has_filename: bool = False,
              splits: bool = True) -> Role:
    """The role of one MIME part. ``splits``: for a multipart, whether its boundary was found."""
    ctype, attached = content_type.lower(), disposition.lower() == "attachment"
    if ctype.startswith("multipart/"):
        return Role(look_inside=True) if splits else Role(text=True)
    if ctype == "message/rfc822":
        return Role(listed=True) if attached else Role(look_inside=True)
    if ctype in TEXT_TYPES and not attached:
        return Role(text=True, listed=has_filename)
    return Role(listed=True)


def join_body(plain: list[str], html: list[str]) -> tuple[str, str]:
    """``(text, source)`` from the decoded text parts in order; source is "plain", "html" or
    "none"."""
    if any(part.strip() for part in plain):
        return "\n\n".join(p.rstrip("\n") for p in plain if p.strip()) + "\n", "plain"
    if any(part.strip() for part in html):
        return html_to_text("\n".join(html)), "html"
    return "", "none"
