"""The URL picker of the full view: every link of the message with where it really goes.

A link whose text names another host than its target is flagged, with both hosts. Enter opens
the link with the browser command; ``c`` copies it (OSC 52: the terminal's clipboard, only on
this key). Dismisses with ``("open" | "copy", link)`` or None.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from popui.mail.links import Link
from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line

Choice = tuple[str, Link]


def link_label(link: Link) -> Content:
    """Two or three lines: the real target, what the message shows, and a warning when they
    disagree. All of it is untrusted text."""
    parts: list[Content | str | tuple[str, str]] = [
        ("→ ", "bold"), (link.target, "bold" if link.openable else "$text-muted")
    ]
    if link.text and link.text != link.target:
        parts += ["\n  ", ("shown as: ", "$text-muted"), safe_line(link.text)]
    if link.deceptive:
        parts += ["\n  ", (f"⚠ shows {link.shown_host} but goes to {link.host}",
                           "bold $text-error")]
    elif not link.openable:
        parts += ["\n  ", (f"{link.scheme or 'this'}: links are not opened", "$text-warning")]
    return Content.assemble(*parts)


class LinkPicker(ModalScreen[Choice | None]):
    DEFAULT_CSS = dialog_css("LinkPicker", """
    LinkPicker > Vertical { width: 110; }
    LinkPicker OptionList { height: auto; max-height: 24; }
    """)
    BINDINGS = [
        Binding("c,y", "copy", "Copy (OSC 52)"),
        Binding("escape,q", "cancel", "Close"),
    ]

    def __init__(self, links: Sequence[Link]) -> None:
        super().__init__()
        self.links = list(links)

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.links)
            title = f"{count} link{'s' if count != 1 else ''}: where each really goes"
            yield Static(title, classes="title", markup=False)
            yield OptionList(*(Option(link_label(link)) for link in self.links), id="links")
            yield Static("Enter opens in the browser · c copies to the clipboard (OSC 52) · "
                         "Esc closes", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _current(self) -> Link | None:
        index = self.query_one(OptionList).highlighted
        return self.links[index] if index is not None and self.links else None

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("open", self.links[event.option_index]))

    def action_copy(self) -> None:
        link = self._current()
        if link is not None:
            self.dismiss(("copy", link))

    def action_cancel(self) -> None:
        self.dismiss(None)
