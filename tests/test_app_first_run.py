"""First run, through the real app on Dovecot: no account given, so the app asks.

No configuration: the "add account" form, then the password prompt, then the mailbox; the
account lands in the config file and the password in the (in-memory) keyring. Several accounts
and no default: the picker, then the mailbox of the one picked, its password from the keyring.
"""

from __future__ import annotations

from pathlib import Path

import keyring
from app_support import run_async, screen_text, type_text, wait_until
from textual.widgets import Checkbox, Input, Select

from popui.app import PopuiApp
from popui.config import Settings, load_settings
from popui.credentials import KEYRING_SERVICE
from popui.screens.account_form import AccountForm
from popui.screens.account_picker import AccountPicker
from popui.screens.certificate import CertificateDialog
from popui.screens.confirm import ErrorDialog
from popui.screens.password_prompt import PasswordPrompt


async def listed(pilot, app: PopuiApp, count: int) -> None:
    await wait_until(pilot, lambda: app.main.status.status.state == "connected"
                     and len(app.main.message_list.view) == count
                     and app.main.status.status.loaded == count, what="the mailbox listed")


async def fill_the_form(pilot, app: PopuiApp, mailbox, port: int, security: str) -> None:
    """The "add account" form: account "home" for ``mailbox`` on ``port``, then Enter."""
    await wait_until(pilot, lambda: isinstance(app.screen, AccountForm), what="the form")
    form = app.screen
    for widget_id, value in (("name", "home"), ("host", mailbox.server.host),
                             ("port", str(port)), ("user", mailbox.name)):
        form.query_one(f"#{widget_id}", Input).focus()
        await type_text(pilot, value)
    form.query_one("#security", Select).value = security
    await pilot.press("enter")


@run_async
async def test_first_run_adds_an_account_and_logs_in(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    server = mailbox.server
    config = tmp_path / "config.toml"
    app = PopuiApp(account=None, settings=Settings(), config_path=config,
                   state_folder=tmp_path / "state")
    async with app.run_test(size=(110, 50)) as pilot:
        # loopback: allowed in the clear
        await fill_the_form(pilot, app, mailbox, server.port_plain, "none")
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt), what="prompt")
        assert f"Password for {mailbox.name}@{server.host}" in screen_text(app)
        await type_text(pilot, mailbox.password)
        app.screen.query_one("#remember", Checkbox).value = True
        await pilot.press("enter")
        await listed(pilot, app, 3)
        assert f"{mailbox.name}@{server.host}" in screen_text(app)
        await wait_until(pilot, lambda: keyring.get_password(
            KEYRING_SERVICE, f"{mailbox.name}@{server.host}:{server.port_plain}")
            == mailbox.password, what="password kept in the keyring")
        await pilot.press("q")
    account = load_settings(config).accounts["home"]
    assert (account.host, account.effective_port, account.user, account.security) == (
        server.host, server.port_plain, mailbox.name, "none")
    assert mailbox.password not in config.read_text()


@run_async
async def test_picker_opens_the_account_chosen(mailbox, tmp_path: Path) -> None:
    mailbox.fill(2)
    server = mailbox.server
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.elsewhere]\nhost = "pop.invalid"\nuser = "nobody"\n\n'
        f'[accounts.here]\nhost = "{server.host}"\nport = {server.port_plain}\n'
        f'user = "{mailbox.name}"\nsecurity = "none"\n'
    )
    settings = load_settings(config)
    keyring.set_password(KEYRING_SERVICE, settings.accounts["here"].keyring_user,
                         mailbox.password)
    app = PopuiApp(account=None, settings=settings, config_path=config, state_folder=False)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AccountPicker), what="picker")
        text = screen_text(app)
        assert "elsewhere" in text and f"{mailbox.name}@{server.host}:{server.port_plain}" in text
        await pilot.press("down", "enter")
        await listed(pilot, app, 2)  # no prompt: the keyring had the password
        assert app.account is settings.accounts["here"]
        await pilot.press("q")


@run_async
async def test_the_form_saves_nothing_when_the_login_fails(mailbox, tmp_path: Path) -> None:
    # The form says it tests the login first; it saved an account whose certificate was
    # refused (`popui account add` correctly saved nothing). Same rule for both now.
    server = mailbox.server
    config = tmp_path / "config.toml"
    app = PopuiApp(account=None, settings=Settings(), config_path=config,
                   state_folder=tmp_path / "state")
    async with app.run_test(size=(110, 50)) as pilot:
        # the test CA is not trusted here
        await fill_the_form(pilot, app, mailbox, server.port_tls, "tls")
        # the server is checked before the password is asked: its certificate first
        await wait_until(pilot, lambda: isinstance(app.screen, CertificateDialog)
                         and "SHA-256" in screen_text(app), what="certificate dialog")
        await pilot.press("r")  # refuse
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorDialog)
                         and bool(app.screen.query("#ok")), what="refused")
        assert "certificate" in app.screen.message.lower()
        await app.action_quit_now()
    assert not config.exists() or "home" not in config.read_text()
