"""A yes/no question with a list under it: ``d`` on a collapsed thread ("Mark the 5 messages
of this collapsed thread for deletion?" and their subjects), opening an attachment with another
program. Dismisses with True only on an explicit yes."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line


class ConfirmAction(ModalScreen[bool]):
    DEFAULT_CSS = dialog_css("ConfirmAction")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    SHOWN_SUBJECTS = 8

    def __init__(self, question: str, subjects: Sequence[str], yes: str) -> None:
        """``subjects``: the lines listed (untrusted); ``yes``: the yes button's label."""
        super().__init__()
        self.question = question
        self.subjects = list(subjects)
        self.yes = yes

    def compose(self) -> ComposeResult:
        shown = self.subjects[: self.SHOWN_SUBJECTS]
        lines = [Content.assemble("• ", safe_line(s or "(no subject)")) for s in shown]
        if len(self.subjects) > len(shown):
            lines.append(Content(f"… and {len(self.subjects) - len(shown)} more"))
        with Vertical():
            yield Static(safe_line(self.question), classes="title")
            yield Static(Content("\n").join(lines), classes="subjects", id="subjects")
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
