"""The "add account" form, shown on first run instead of an error.

Dismisses with ``{"name": NAME, **fields}`` where ``fields`` is what ``save_account`` writes
into ``[accounts.NAME]`` (only values that differ from the defaults), or ``None`` when
cancelled. Fields are checked with the same validator as the configuration file, so what the
form accepts always loads again. No password here: the login prompt asks for it next.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from popui.config import ConfigError, account_from_fields
from popui.pop3.account import AUTH_CHOICES, DEFAULT_PORTS, SECURITY_CHOICES
from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line

_SECURITY_LABELS = {
    "tls": "TLS (port 995)",
    "starttls": "STARTTLS (port 110, then encrypted)",
    "none": "none (unencrypted)",
}
_FIELD_IDS = {"host": "host", "port": "port", "user": "user", "security": "security",
              "auth": "auth", "password_command": "password-command",
              "allow_plaintext_password": "allow-plaintext", "ca_file": "ca-file"}


class AccountForm(ModalScreen[dict[str, Any] | None]):
    """Name, server, security, port, user, login method and an optional password command."""

    DEFAULT_CSS = dialog_css("AccountForm", """
    AccountForm > Vertical { width: 80; }
    AccountForm VerticalScroll { height: auto; max-height: 30; }
    AccountForm .label { margin-top: 0; }
    """)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, existing: Collection[str] = (), config_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.existing = set(existing)
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Add a POP3 account", classes="title")
            where = f" It will be saved in {self.config_path}." if self.config_path else ""
            yield Static(
                safe_line("popui tests the login first; the password is asked next and kept "
                          f"only in the keyring, if you want.{where}"),
                classes="hint",
            )
            with VerticalScroll():
                yield Static("Account name", classes="label")
                yield Input(placeholder="e.g. work", id="name")
                yield Static("Server (host name)", classes="label")
                yield Input(placeholder="pop.example.com", id="host")
                yield Static("Security", classes="label")
                yield Select(
                    [(_SECURITY_LABELS[s], s) for s in SECURITY_CHOICES],
                    value="tls", allow_blank=False, id="security",
                )
                yield Static("Port (empty: the default for the security)", classes="label")
                yield Input(placeholder=str(DEFAULT_PORTS["tls"]), id="port", type="integer")
                yield Static("User name", classes="label")
                yield Input(placeholder="you@example.com", id="user")
                yield Static("Login method", classes="label")
                yield Select(
                    [(a, a) for a in AUTH_CHOICES], value="auto", allow_blank=False, id="auth",
                )
                yield Static("CA certificate file (optional, for a server with a private CA)",
                             classes="label")
                yield Input(placeholder="~/certs/mail-ca.pem", id="ca-file")
                yield Static("Password command (optional, e.g. pass show mail)",
                             classes="label")
                yield Input(id="password-command")
                yield Checkbox(
                    "Allow sending the password unencrypted (security none, remote host)",
                    id="allow-plaintext",
                )
            yield Static("", classes="error", id="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Add account", id="add", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Select.Changed, "#security")
    def _security_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one("#port", Input).placeholder = str(DEFAULT_PORTS[event.value])

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def fields(self) -> dict[str, Any]:
        """The form as ``[accounts.NAME]`` fields (defaults left out)."""
        security = str(self.query_one("#security", Select).value)
        auth = str(self.query_one("#auth", Select).value)
        fields: dict[str, Any] = {"host": self._value("host")}
        port = self._value("port")
        if port:
            fields["port"] = int(port) if port.isdigit() else port
        fields.update(user=self._value("user"), security=security)
        if auth != "auto":
            fields["auth"] = auth
        if self._value("ca-file"):
            fields["ca_file"] = self._value("ca-file")
        if self._value("password-command"):
            fields["password_command"] = self._value("password-command")
        if self.query_one("#allow-plaintext", Checkbox).value:
            fields["allow_plaintext_password"] = True
        return {k: v for k, v in fields.items() if v != ""}

    def _problem(self, name: str, fields: dict[str, Any]) -> tuple[str, str] | None:
        """``(widget id, message)`` for the first problem, or ``None``."""
        if not name:
            return "name", "Give the account a name."
        if name in self.existing:
            return "name", f"There is already an account named {name!r}."
        for required, label in (("host", "server"), ("user", "user name")):
            if required not in fields:
                return required, f"The {label} is missing."
        try:
            account_from_fields(name, fields)
        except ConfigError as exc:
            key = (exc.key or "").rsplit(".", 1)[-1]
            return _FIELD_IDS.get(key, "name"), f"{key.replace('_', ' ')}: {exc.problem}"
        return None

    @on(Input.Submitted)
    @on(Button.Pressed, "#add")
    def _submit(self) -> None:
        name = self._value("name")
        fields = self.fields()
        problem = self._problem(name, fields)
        if problem:
            widget_id, message = problem
            self.query_one("#error", Static).update(safe_line(message))
            self.query_one(f"#{widget_id}").focus()
            return
        self.dismiss({"name": name, **fields})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
