"""The help screen: every command and the keys in effect, built from `popui.commands`."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from popui.commands import ALL_COMMANDS, help_markdown

INTRO = """\
# popui keys

Previewing (the pane, `p`) uses `TOP` and never marks a message seen; opening one (`Enter`)
uses `RETR`, which does. Marks stay in popui until you commit (`$`); quitting without
committing deletes nothing, and `Ctrl+C` never deletes.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 100;
            max-width: 95%;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        & .hint { color: $text-muted; dock: bottom; height: 1; padding: 0 1; }
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", show=False),
    ]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        def display(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        with VerticalScroll():
            yield Markdown(INTRO + "\n" + help_markdown(self.keymap, display, ALL_COMMANDS))
        yield Static("Esc closes · keys can be changed in the config file ([ui.keymap])",
                     classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
