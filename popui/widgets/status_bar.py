"""The status bar: account and server, TLS state, mailbox size, marks, loading progress."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from popui.mail.sanitize import clean_line
from popui.sizes import human_size


@dataclass(frozen=True)
class Status:
    account: str = ""
    """``user@server``: from the user's own config, still cleaned before showing."""
    state: str = "offline"
    """offline | connecting | connected | error"""
    tls: str | None = None
    message_count: int | None = None
    mailbox_size: int | None = None
    shown: int | None = None
    """Rows the filter shows, when a filter is active."""
    marked: int = 0
    marked_bytes: int = 0
    loaded: int = 0
    total: int = 0
    sort: str = "date"
    note: str = ""


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
        .-tls-on { color: $text-success; }
        .-tls-off { color: $text-warning; }
    }
    """

    status: reactive[Status] = reactive(Status, layout=False)

    def update_status(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]

    def render(self) -> Content:
        s = self.status
        parts: list[Content | str | tuple[str, str]] = [(clean_line(s.account), "bold")]
        if s.state == "connected":
            if s.tls:
                parts += ["  ", (f"🔒 {s.tls}", "$text-success")]
            else:
                parts += ["  ", ("plaintext", "$text-warning")]
        else:
            style = "$text-error" if s.state == "error" else "$text-muted"
            parts += ["  ", (s.state, style)]
        if s.message_count is not None:
            parts += ["  ", f"{s.message_count} messages"]
            if s.mailbox_size is not None:
                parts.append(f", {human_size(s.mailbox_size)}")
        if s.shown is not None:
            parts += ["  ", (f"{s.shown} shown", "$text-accent")]
        if s.marked:
            parts += [
                "  ",
                (f"{s.marked} marked ({human_size(s.marked_bytes)})", "bold $mail-marked"),
            ]
        if s.total and s.loaded < s.total:
            percent = 100 * s.loaded // s.total
            parts += ["  ", (f"headers {s.loaded}/{s.total} {percent}%", "$text-muted")]
        parts += ["  ", (f"sort: {s.sort}", "$text-muted")]
        if s.note:
            parts += ["  ", (clean_line(s.note), "$text-muted italic")]
        return Content.assemble(*parts)
