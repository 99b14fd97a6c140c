"""What every popui dialog shares: a centred box on a dimmed screen, a title, buttons on the
right, and the look of messages, hints and errors."""

from __future__ import annotations

_CSS = """
{name} {
    align: center middle;
    & > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    & > Vertical.danger { border: thick $error; }
    & .title { text-style: bold; margin-bottom: 1; }
    & .message { color: $warning; margin-bottom: 1; }
    & .explain { margin-bottom: 1; }
    & .subjects { color: $text-muted; margin-bottom: 1; }
    & .hint { color: $text-muted; }
    & .error { color: $error; height: auto; }
    & Input, & Select, & Checkbox { margin-bottom: 1; }
    & Horizontal { height: auto; align-horizontal: right; }
    & Button { margin-left: 1; }
}
"""


def dialog_css(name: str, extra: str = "") -> str:
    """The shared dialog rules for the screen class ``name``, then its own ``extra`` rules."""
    return _CSS.replace("{name}", name) + extra
