"""``o``: choose the sort order directly, mutt's letters: (d)ate (f)rom (s)ubject si(z)e
(u)nsorted (message number), and (r)everse. Dismisses with a sort key, "reverse" or None."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from popui.screens.dialog import dialog_css

CHOICES: tuple[tuple[str, str, str], ...] = (
    # letter, result, label
    ("d", "date", "date (newest first)"),
    ("f", "sender", "from (A to Z)"),
    ("s", "subject", "subject (A to Z, ignoring Re:/Fwd:)"),
    ("z", "size", "size (biggest first)"),
    ("u", "number", "unsorted (message number, newest first)"),
    ("t", "thread", "threads (newest thread first; v folds one, V all)"),
    ("r", "reverse", "reverse the current order"),
)


class SortDialog(ModalScreen[str | None]):
    DEFAULT_CSS = dialog_css("SortDialog", """
    SortDialog > Vertical { width: 52; }
    SortDialog OptionList, SortDialog OptionList:focus { height: auto; border: none; padding: 0; }
    """)
    BINDINGS = [
        *(Binding(letter, f"choose('{result}')", label, show=False)
          for letter, result, label in CHOICES),
        Binding("escape", "choose('')", "Cancel"),
    ]

    def __init__(self, current: str, reverse: bool) -> None:
        super().__init__()
        self.current = current
        self.reverse = reverse

    def compose(self) -> ComposeResult:
        with Vertical():
            order = " (reversed)" if self.reverse else ""
            yield Static(f"Sort by ({self.current}{order} now)", classes="title", markup=False)
            yield OptionList(
                *(Option(f"{letter}  {label}", id=result) for letter, result, label in CHOICES)
            )
            yield Static("letter or Enter picks · Esc cancels", classes="hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = next(
            (i for i, (_, result, _) in enumerate(CHOICES) if result == self.current), 0
        )
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_choose(event.option.id or "")

    def action_choose(self, result: str) -> None:
        self.dismiss(result or None)
