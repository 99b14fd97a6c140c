"""Pick one of several accounts (none is marked ``default = true``).

Dismisses with the account name, or ``None`` when cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line


class AccountPicker(ModalScreen[str | None]):
    """``details`` (optional) maps a name to a second column, e.g. ``user@host:port``."""

    DEFAULT_CSS = dialog_css("AccountPicker", """
    AccountPicker OptionList { height: auto; max-height: 20; }
    """)
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "move('down')", "Next", show=False),
        Binding("k", "move('up')", "Previous", show=False),
    ]

    def __init__(self, names: Sequence[str], details: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.names = list(names)
        self.details = dict(details or {})

    def compose(self) -> ComposeResult:
        width = max((len(n) for n in self.names), default=0)
        options = []
        for index, name in enumerate(self.names):
            prompt = safe_line(name.ljust(width))
            if name in self.details:
                prompt = Content.assemble(prompt, "  ", safe_line(self.details[name], "dim"))
            options.append(Option(prompt, id=str(index)))  # ids: names may be anything
        with Vertical():
            yield Static("Open which account?", classes="title")
            yield OptionList(*options, id="accounts")
            yield Static("Enter opens it; set default = true on one account to skip this.",
                         classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[int(event.option.id or 0)])

    def action_move(self, direction: str) -> None:
        """``j``/``k`` as in the list (and mutt)."""
        options = self.query_one(OptionList)
        if direction == "down":
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
