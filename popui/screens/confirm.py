"""Modal questions: commit deletions, quit with marks pending, and a fatal-error notice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from popui.screens.dialog import dialog_css
from popui.sizes import human_size
from popui.widgets.safe_text import safe_block, safe_line

QuitChoice = Literal["commit", "keep", "forget", "cancel"]



def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class ConfirmCommit(ModalScreen[bool]):
    """ "Delete N messages from the server?" Dismisses with True only on an explicit yes."""

    DEFAULT_CSS = dialog_css("ConfirmCommit")
    AUTO_FOCUS = "#no"  # the safe answer (a selector: no crash if torn down unbuilt)
    BINDINGS = [
        Binding("y", "answer(True)", "Yes, delete"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]
    SHOWN_SUBJECTS = 10

    def __init__(self, count: int, total_bytes: int, subjects: Sequence[str]) -> None:
        super().__init__()
        self.count = count
        self.total_bytes = total_bytes
        self.subjects = list(subjects)

    def compose(self) -> ComposeResult:
        shown = self.subjects[: self.SHOWN_SUBJECTS]
        lines = [Content.assemble("• ", safe_line(s or "(no subject)")) for s in shown]
        more = max(self.count, len(self.subjects)) - len(shown)
        if more > 0:
            lines.append(Content(f"… and {more} more"))
        with Vertical(classes="danger"):
            yield Static(
                f"Delete {_plural(self.count, 'message')} from the server?",
                classes="title",
                markup=False,
            )
            yield Static(
                f"{_plural(self.count, 'message')}, {human_size(self.total_bytes)} in total. "
                "The server removes them when the session ends; this cannot be undone.",
                classes="explain",
                markup=False,
            )
            yield Static(Content("\n").join(lines), classes="subjects", id="subjects")
            with Horizontal():
                yield Button("Yes, delete (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class QuitDialog(ModalScreen[QuitChoice]):
    """Quit with marks pending: dismisses "commit", "keep" (the marks wait for next time),
    "forget" (the marks are dropped) or "cancel". Only "commit" ever deletes anything."""

    # four buttons: wide enough for them side by side at 80 columns
    DEFAULT_CSS = dialog_css("QuitDialog", "QuitDialog > Vertical { width: 76; }")
    AUTO_FOCUS = "#cancel"  # the safe answer (a selector: no crash if torn down unbuilt)
    BINDINGS = [
        Binding("c", "choose('commit')", "Commit and quit"),
        Binding("k", "choose('keep')", "Quit, keep the marks"),
        Binding("f", "choose('forget')", "Quit, forget the marks"),
        Binding("escape", "choose('cancel')", "Cancel"),
    ]

    def __init__(self, marked_count: int) -> None:
        super().__init__()
        self.marked_count = marked_count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"{_plural(self.marked_count, 'message')} marked for deletion",
                classes="title",
                markup=False,
            )
            yield Static(
                "Commit deletes them on the server, then quits. Keep marks quits and keeps "
                "them for next time; Forget quits and drops them. Neither sends any DELE.",
                markup=False,
            )
            with Horizontal():
                yield Button("Commit (c)", id="commit", variant="error")
                yield Button("Keep marks (k)", id="keep")
                yield Button("Forget (f)", id="forget")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        assert choice in ("commit", "keep", "forget", "cancel")
        self.dismiss(choice)  # type: ignore[arg-type]


class NoTopDialog(ModalScreen[bool]):
    """A server without TOP: fill the list by downloading every message whole (True), which
    marks them seen on the server, or show numbers and sizes only (False)."""

    DEFAULT_CSS = dialog_css("NoTopDialog")
    AUTO_FOCUS = "#sizes"  # the safe answer (a selector: no crash if torn down unbuilt)
    BINDINGS = [
        Binding("w", "answer(True)", "Download whole"),
        Binding("s,escape", "answer(False)", "Sizes only"),
    ]

    def __init__(self, count: int, total_bytes: int) -> None:
        super().__init__()
        self.count = count
        self.total_bytes = total_bytes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("This server has no TOP command", classes="title", markup=False)
            yield Static(
                "Without TOP, popui cannot read a message's headers without downloading it "
                f"whole. It can download all {_plural(self.count, 'message')} "
                f"({human_size(self.total_bytes)}) to fill the list — the server then marks "
                "every one of them as seen — or list numbers and sizes only. Previews need TOP "
                "either way; opening a message (Enter) downloads it. popui remembers this "
                "choice for the account.",
                markup=False,
            )
            with Horizontal():
                yield Button("Download whole, mark seen (w)", id="whole", variant="warning")
                yield Button("Sizes only (s)", id="sizes", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "whole")

    def action_answer(self, whole: bool) -> None:
        self.dismiss(whole)


class ErrorDialog(ModalScreen[None]):
    """A message the user must acknowledge (fatal errors). The message may come from a server."""

    DEFAULT_CSS = dialog_css("ErrorDialog")
    AUTO_FOCUS = "#ok"  # the safe answer (a selector: no crash if torn down unbuilt)
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="danger"):
            yield Static(safe_line(self.title_text), classes="title")
            yield Static(safe_block(self.message), id="message")
            with Horizontal():
                yield Button("OK", id="ok", variant="primary")

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
