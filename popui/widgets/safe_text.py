"""Untrusted text (subjects, names, bodies, file names, server replies) made safe to show.

Everything from a stranger goes through here: control characters and bidi overrides become
visible placeholders (``popui.mail.sanitize``) and the result is a plain ``Content``, never
parsed as markup, so ``[@click=app.quit]`` stays literal text.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content

from popui.mail.sanitize import clean_block, clean_line

__all__ = ["clean_block", "clean_line", "safe_block", "safe_field", "safe_line", "safe_lines"]


def safe_line(text: str | None, style: str = "") -> Content:
    """One line of untrusted text; newlines and tabs become placeholders too."""
    return Content.styled(clean_line(text or ""), style)


def safe_block(text: str | None, style: str = "") -> Content:
    """Untrusted multi-line text; newlines and tabs survive, other controls do not."""
    return Content.styled(clean_block(text or ""), style)


def safe_lines(lines: Iterable[str]) -> list[str]:
    """Untrusted lines cleaned for line-based widgets (``Log``) that take plain strings."""
    return [clean_line(line) for line in lines]


def safe_field(label: str, value: str | None, label_style: str = "bold") -> Content:
    """``Label: value`` where the label is ours and the value is untrusted."""
    return Content.assemble((f"{label}: ", label_style), safe_line(value))
