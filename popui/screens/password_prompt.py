"""Ask for a password, with "remember in keyring".

Dismisses with ``(password, remember)`` or ``None`` when cancelled. The app stores the password
only after the login worked and only if ``remember`` is true; a wrong password re-prompts.
The password lives in the ``Input`` (shown as dots) and in the result, nowhere else.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_block, safe_line


class PasswordPrompt(ModalScreen[tuple[str, bool] | None]):
    """Password for one account. ``message`` says why we ask again (e.g. the login failed);
    ``keyring_problem`` (from ``keyring_status()``) disables "remember" and says why."""

    DEFAULT_CSS = dialog_css("PasswordPrompt")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, account_label: str, message: str | None = None, *,
        keyring_problem: str | None = None,
    ) -> None:
        super().__init__()
        self.account_label = account_label
        self.message = message
        self.keyring_problem = keyring_problem

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_line(f"Password for {self.account_label}"), classes="title")
            if self.message:
                yield Static(safe_block(self.message), classes="message", id="message")
            yield Input(password=True, placeholder="password", id="password")
            remember = Checkbox(
                "Remember in keyring", value=False, id="remember",
                disabled=self.keyring_problem is not None,
            )
            if self.keyring_problem:
                # An unticked box still draws an X (only its colour says "off"): with no
                # keyring, draw none, so it cannot look ticked in any theme or colour depth.
                remember.BUTTON_INNER = " "
                remember.label = "Remember in keyring (unavailable)"
            yield remember
            if self.keyring_problem:
                yield Static(safe_block(self.keyring_problem), classes="hint", id="keyring")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Log in", id="login", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _submit(self) -> None:
        password = self.query_one("#password", Input).value
        if not password:
            self.query_one("#password", Input).focus()
            return
        remember = self.query_one("#remember", Checkbox).value and not self.keyring_problem
        self.dismiss((password, remember))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
