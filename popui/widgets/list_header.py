"""The column header above the message list: flags, number, date, from, subject, size, with
the sort column and its direction. A one-line widget of its own, so the Line-API list stays a
plain ``ScrollView``; clicking a column sorts by it (again: reverses)."""

from __future__ import annotations

from rich.cells import set_cell_size
from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from popui.rows import natural_descending
from popui.widgets.message_list import MessageList

LABELS = {"number": "#", "date": "Date", "sender": "From", "subject": "Subject", "size": "Size"}
RIGHT_ALIGNED = frozenset({"number", "size"})


def arrow(key: str, reverse: bool) -> str:
    """▼ for descending (newest, biggest, Z→A), ▲ for ascending."""
    return "▼" if natural_descending(key) != reverse else "▲"


class ListHeader(Widget):
    DEFAULT_CSS = """
    ListHeader {
        height: 1;
        background: $panel;
        color: $text-muted;
        text-style: bold;
    }
    """
    class SortClicked(Message):
        """A column label was clicked."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, message_list: MessageList, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message_list = message_list

    def render(self) -> Content:
        lst = self.message_list
        width = lst.row_width or self.size.width
        spans = lst.columns(width).spans()
        line = [" "] * width
        parts: list[tuple[int, int]] = []  # (start, end) of the sorted label
        for key, (start, size) in spans.items():
            label = LABELS[key]
            threads = lst.sort_key == "thread" and key == "subject"
            if key == lst.sort_key or threads:
                label = f"{label} (threads {arrow('thread', lst.sort_reverse)})" if threads \
                    else f"{label} {arrow(key, lst.sort_reverse)}"
            text = set_cell_size(label, size)
            if key in RIGHT_ALIGNED:
                text = label.rjust(size)[-size:]
            for offset, char in enumerate(text):
                if start + offset < width:
                    line[start + offset] = char
            if key == lst.sort_key or threads:
                parts.append((start, start + size))
        line[0:3] = ["D", "*", "N"][: max(0, min(3, width))]
        content = Content("".join(line))
        for start, end in parts:
            content = content.stylize("$text-accent", start, end)
        return content

    def on_click(self, event: events.Click) -> None:
        for key, (start, size) in self.message_list.columns().spans().items():
            if start <= event.x < start + size:
                self.post_message(self.SortClicked(key))
                return
