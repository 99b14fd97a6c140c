"""Password prompt, "add account" form and account picker, driven with Pilot in a host app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_support import HostApp, run_async, screen_text, type_text
from textual.widgets import Checkbox, Input, Select

from popui.config import load_settings, save_account
from popui.credentials import NO_BACKEND
from popui.screens.account_form import AccountForm
from popui.screens.account_picker import AccountPicker
from popui.screens.password_prompt import PasswordPrompt

SECRET = "S3cret-Zebra-7731"
HOSTILE = "[@click=app.quit]evil\x1b]0;pwned\x07"


# --- password prompt -------------------------------------------------------------------------


@run_async
async def test_password_prompt_returns_password_and_remember() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(PasswordPrompt("me@pop.example.com:995", "Login failed: bad password"))
        await pilot.pause()
        text = screen_text(app)
        assert "Password for me@pop.example.com:995" in text
        assert "Login failed: bad password" in text
        assert isinstance(app.focused, Input) and app.focused.password
        await type_text(pilot, SECRET)
        assert SECRET not in screen_text(app)  # dots, not the password
        assert SECRET not in app.export_screenshot()
        app.screen.query_one("#remember", Checkbox).toggle()
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [(SECRET, True)]


@run_async
async def test_password_prompt_default_is_not_to_remember_and_empty_is_refused() -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        app.push_collect(PasswordPrompt("acct"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, PasswordPrompt)
        await type_text(pilot, "pw")
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [("pw", False)]


@run_async
async def test_password_prompt_cancel() -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        app.push_collect(PasswordPrompt("acct"))
        await pilot.pause()
        await type_text(pilot, "pw")
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


@run_async
async def test_password_prompt_without_keyring_cannot_remember() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(PasswordPrompt("acct", keyring_problem=NO_BACKEND))
        await pilot.pause()
        assert "No keyring backend available" in screen_text(app).replace("\n", " ")
        checkbox = app.screen.query_one("#remember", Checkbox)
        assert checkbox.disabled
        await type_text(pilot, "pw")
        await pilot.click("#remember")
        await pilot.pause()
        assert not checkbox.value
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [("pw", False)]


@run_async
async def test_password_prompt_shows_untrusted_text_literally() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(PasswordPrompt(HOSTILE, f"server said: {HOSTILE}"))
        await pilot.pause()
        text = screen_text(app)
        assert text.count("[@click=app.quit]evil") == 2
        assert "\x1b" not in text and "\x07" not in text
        await pilot.click("#message")
        await pilot.pause()
        assert app.is_running and app.results == []


# --- account form ----------------------------------------------------------------------------


async def fill(pilot: Any, app: HostApp, values: dict[str, str]) -> None:
    for widget_id, value in values.items():
        app.screen.query_one(f"#{widget_id}", Input).focus()
        await pilot.pause()
        await type_text(pilot, value)


@run_async
async def test_account_form_result_saves_and_loads_back(tmp_path: Path) -> None:
    app = HostApp()
    async with app.run_test(size=(100, 50)) as pilot:
        app.push_collect(AccountForm(config_path=tmp_path / "config.toml"))
        await pilot.pause()
        assert "Add a POP3 account" in screen_text(app)
        assert isinstance(app.focused, Input) and app.focused.id == "name"
        await fill(pilot, app, {"name": "work", "host": "pop.example.com", "user": "me"})
        app.screen.query_one("#security", Select).value = "starttls"
        await pilot.pause()
        assert app.screen.query_one("#port", Input).placeholder == "110"
        ca = tmp_path / "ca.pem"
        ca.write_text("not checked here\n")
        await fill(pilot, app, {"port": "2110", "password-command": "pass show mail",
                                "ca-file": str(ca)})
        await pilot.press("enter")
        await pilot.pause()
    (result,) = app.results
    assert result == {
        "name": "work", "host": "pop.example.com", "port": 2110, "user": "me",
        "security": "starttls", "password_command": "pass show mail", "ca_file": str(ca),
    }
    path = tmp_path / "config.toml"
    save_account(path, result.pop("name"), result)
    settings = load_settings(path)
    account = settings.accounts["work"]
    assert (account.host, account.effective_port, account.security) == (
        "pop.example.com", 2110, "starttls",
    )
    assert settings.secrets["work"].password_command == "pass show mail"
    assert account.ca_file == str(ca)


@run_async
async def test_account_form_reports_problems_and_stays_open() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 50)) as pilot:
        app.push_collect(AccountForm(existing=["work"]))
        await pilot.pause()
        await fill(pilot, app, {"name": "work"})
        await pilot.press("enter")
        await pilot.pause()
        assert "There is already an account named 'work'." in screen_text(app)
        await fill(pilot, app, {"name": "2"})
        await pilot.press("enter")
        await pilot.pause()
        assert "The server is missing." in screen_text(app)
        assert app.focused is not None and app.focused.id == "host"
        await fill(pilot, app, {"host": "pop.example.com", "user": "me", "port": "99999"})
        await pilot.press("enter")
        await pilot.pause()
        assert "port: must be a port number from 1 to 65535" in screen_text(app)
        assert app.focused is not None and app.focused.id == "port"
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- account picker --------------------------------------------------------------------------


@run_async
async def test_account_picker_picks_and_cancels() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(AccountPicker(["work", HOSTILE], {"work": "me@pop.example.com:995"}))
        await pilot.pause()
        text = screen_text(app)
        assert "me@pop.example.com:995" in text and "[@click=app.quit]evil" in text
        assert "\x1b" not in text
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == [HOSTILE]
        app.push_collect(AccountPicker(["work", "home"]))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        app.push_collect(AccountPicker(["work", "home"]))
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [HOSTILE, "work", None]
