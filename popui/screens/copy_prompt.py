"""``C`` and ``s``: where to copy the messages. The path is completed with Tab (and suggested as
you type), and a line under it says what it will be written as (Maildir or mbox). Looking at
the disk runs in a thread. Dismisses with the path as typed, or None."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Static

from popui.mailout.paths import complete, describe
from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line


class PathSuggester(Suggester):
    """The completion Tab would give, shown greyed after the cursor (→ takes it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        completed, matches = await asyncio.to_thread(complete, value)
        return completed if completed != value and len(matches) == 1 else None


class PathInput(Input):
    """Tab completes. Bound here, not on the screen: a screen's key binding can run before
    the input has taken the keys typed just before it (``b`` Tab in one read)."""

    BINDINGS = [Binding("tab", "screen.complete", "Complete", show=False)]


class CopyPrompt(ModalScreen[str | None]):
    DEFAULT_CSS = dialog_css("CopyPrompt", """
    CopyPrompt > Vertical { width: 84; }
    CopyPrompt #dest { margin-bottom: 0; }
    CopyPrompt #dest-kind { color: $text-muted; margin-bottom: 1; }
    CopyPrompt #dest-matches { color: $text-muted; max-height: 6; margin-bottom: 1; }
    """)
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, title: str, default: str, notes: list[str]) -> None:
        """``title`` may hold untrusted text (a subject): it is shown as plain text."""
        super().__init__()
        self.title_text = title
        self.default = default
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_line(self.title_text), classes="title")
            yield PathInput(self.default, id="dest", suggester=PathSuggester(),
                        placeholder="~/Mail/inbox/ (Maildir) or ~/Mail/saved.mbox (mbox)")
            yield Static(id="dest-kind", markup=False)
            yield Static(id="dest-matches", markup=False)
            for note in self.notes:
                yield Static(note, classes="message", markup=False)
            yield Static("", id="dest-error", classes="error", markup=False)
            yield Static("Tab completes · Enter copies · Esc cancels", classes="hint",
                         markup=False)
            with Horizontal():
                yield Button("Copy", id="copy", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dest-matches").display = False
        box = self.query_one("#dest", Input)
        box.focus()
        box.cursor_position = len(box.value)
        self._describe(box.value)

    @property
    def value(self) -> str:
        return self.query_one("#dest", Input).value

    @on(Input.Changed, "#dest")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#dest-error", Static).update("")
        self._describe(event.value)

    @work(thread=True, exclusive=True, group="describe", exit_on_error=False)
    def _describe(self, text: str) -> None:
        line = describe(text)
        self.app.call_from_thread(self._described, text, line)

    def _described(self, text: str, line: str) -> None:
        if self.is_attached and text == self.value:
            self.query_one("#dest-kind", Static).update(safe_line(line))

    def action_complete(self) -> None:
        self._complete(self.value)

    @work(thread=True, exclusive=True, group="complete", exit_on_error=False)
    def _complete(self, text: str) -> None:
        completed, matches = complete(text)
        self.app.call_from_thread(self._completed, text, completed, matches)

    def _completed(self, text: str, completed: str, matches: list[str]) -> None:
        if not self.is_attached or text != self.value:
            return
        box = self.query_one("#dest", Input)
        box.value = completed
        box.cursor_position = len(completed)
        shown = self.query_one("#dest-matches", Static)
        shown.display = len(matches) > 1
        if not matches:
            self.app.bell()
        shown.update(Content("  ").join(safe_line(name) for name in matches))

    @on(Input.Submitted, "#dest")
    @on(Button.Pressed, "#copy")
    def _submit(self) -> None:
        value = self.value.strip()
        if not value or "\0" in value:
            self.query_one("#dest-error", Static).update(
                "Type where to copy to: a folder (Maildir) or a file (mbox).")
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
