"""The help screen: every command and the keys in effect, built from `popui.commands`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from popui.commands import ALL_COMMANDS, APP_COMMANDS, Command, help_rows

INTRO = (
    "Previewing (the pane, p) uses TOP and never marks a message seen; opening one (Enter) "
    "uses RETR, which does. Marks stay in popui until you commit ($): quitting without "
    "committing deletes nothing, and Ctrl+C never deletes."
)


def help_content(rows: list[tuple[str, str, str, str]]) -> Content:
    """Groups of ``keys  title  help`` lines (all our own text)."""
    keys_width = max(len(keys) for _, keys, _, _ in rows) + 2
    title_width = max(len(title) for _, _, title, _ in rows) + 2
    parts: list[Content] = []
    group = None
    for row_group, keys, title, text in rows:
        if row_group != group:
            if group is not None:
                parts.append(Content(""))
            group = row_group
            parts.append(Content.styled(group, "bold $primary"))
        parts.append(Content.assemble(
            (set_cell_size(keys, keys_width), "bold $accent"),
            set_cell_size(title, title_width),
            (text, "$text-muted"),
        ))
    return Content("\n").join(parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical {
            width: 110;
            max-width: 95%;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        & .title { text-style: bold; margin-bottom: 1; }
        & .intro { margin-bottom: 1; }
        & VerticalScroll { height: 1fr; }
        & .hint { color: $text-muted; margin-top: 1; }
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", show=False),
    ]

    def __init__(self, keymap: Mapping[str, str],
                 commands: Sequence[Command] | None = None) -> None:
        """``commands``: those to list; default: the ``HELP_COMMANDS`` of the screen help was
        asked on (then the app-wide ones), else every command."""
        super().__init__()
        self.keymap = dict(keymap)
        self.commands = commands

    def _commands(self) -> Sequence[Command]:
        if self.commands is not None:
            return self.commands
        below = [screen for screen in self.app.screen_stack if screen is not self]
        own: Sequence[Command] | None = getattr(below[-1], "HELP_COMMANDS", None) if below \
            else None
        return (*own, *APP_COMMANDS) if own is not None else ALL_COMMANDS

    def compose(self) -> ComposeResult:
        def display(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        rows = help_rows(self.keymap, display, self._commands())
        with Vertical():
            yield Static("popui keys", classes="title", markup=False)
            yield Static(INTRO, classes="intro", markup=False)
            with VerticalScroll():
                yield Static(help_content(rows), id="help-keys")
            yield Static("Esc closes · keys can be changed in the config file ([ui.keymap])",
                         classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
