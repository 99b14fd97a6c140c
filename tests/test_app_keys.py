"""The app on the embedded demo server: keymap, help, palette, themes, login prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import run_async, screen_text, wait_until
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from popui.app import PopuiApp
from popui.config import Settings, UiSettings, load_settings
from popui.credentials import StaticSecret
from popui.demo import DEMO_PASSWORD, DemoServer
from popui.screens.confirm import ErrorDialog
from popui.screens.help import HelpScreen
from popui.screens.password_prompt import PasswordPrompt
from popui.screens.sort_dialog import SortDialog
from popui.themes import shipped_themes_dir
from popui.widgets.list_header import ListHeader


class RecordingSecrets:
    """A secret source that has no stored password and records what it is asked to keep."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.remembered: list[str] = []

    def get_password(self) -> str | None:
        return self.password

    def get_oauth_token(self) -> str | None:
        return None

    def remember(self, password: str) -> str | None:
        self.remembered.append(password)
        return None

    def forget(self) -> bool:
        return False

    def keyring_status(self) -> str | None:
        return None


def demo_app(server: DemoServer, secrets=None, **kwargs) -> PopuiApp:
    return PopuiApp(
        account=server.account(),
        secrets=secrets if secrets is not None else StaticSecret(DEMO_PASSWORD),
        state_folder=False,
        theme_dirs=[shipped_themes_dir()],
        **kwargs,
    )


def header_text(app: PopuiApp) -> str:
    return app.main.query_one(ListHeader).render().plain


async def listed(pilot: Pilot, app: PopuiApp, count: int = 20) -> None:
    await wait_until(pilot, lambda: app.main.status.status.total == count
                     and app.main.status.status.state == "connected", what="listing")


@run_async
async def test_keymap_from_config_rebinds_and_help_shows_it(demo: DemoServer) -> None:
    settings = Settings(ui=UiSettings(keymap={"mark": "x", "nonsense": "y"}))
    app = demo_app(demo, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        await pilot.press("d")
        assert len(app.main.mailbox.marks) == 0  # d is no longer "mark"
        await pilot.press("x")
        assert len(app.main.mailbox.marks) == 1
        assert any("nonsense" in n.message for n in app._notifications)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_text = str(app.screen.query_one("#help-keys").render())
        mark_line = next(line for line in help_text.splitlines() if " Mark " in line)
        assert mark_line.split()[0] == "x"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="help closed")
        await pilot.press("q")


@run_async
async def test_palette_offers_every_main_command(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.main)}
        assert {"Mark", "Commit", "Filter", "Protocol log", "Server info", "Help"} <= titles
        mark = next(c for c in app.get_system_commands(app.main) if c.title == "Mark")
        await mark.callback()
        assert len(app.main.mailbox.marks) == 1
        by_size = next(c for c in app.get_system_commands(app.main) if c.title == "Sort by size")
        by_size.callback()
        sizes = [row.size for row in app.main.message_list.view]
        assert sizes == sorted(sizes, reverse=True)
        await wait_until(pilot, lambda: "Size ▼" in header_text(app), what="header shows it")
        await pilot.press("q")


@run_async
async def test_theme_choice_is_saved_to_the_config(demo: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "popui-dark"\n')
    app = demo_app(demo, settings=load_settings(config), config_path=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        assert app.theme == "popui-dark"
        assert app.get_css_variables()["mail-marked"] == "#D08770"
        app.theme = "popui-high-contrast"
        await wait_until(pilot, lambda: load_settings(config).ui.theme == "popui-high-contrast",
                         what="theme saved")
        await pilot.press("q")


@run_async
async def test_wrong_password_prompts_again_and_remembers_on_success(
    demo: DemoServer,
) -> None:
    secrets = RecordingSecrets(password="wrong")
    app = demo_app(demo, secrets=secrets)
    async with app.run_test(size=(120, 40)) as pilot:
        # the prompt that says why it asks again
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and app.screen.query("#message"), what="prompt with its reason")
        app.screen.query_one("#remember", Checkbox).value = True
        app.screen.query_one("#password", Input).value = DEMO_PASSWORD
        await pilot.press("enter")
        await listed(pilot, app)
        await wait_until(pilot, lambda: secrets.remembered == [DEMO_PASSWORD], what="remember")
        await pilot.press("q")


@run_async
async def test_cancelled_prompt_leaves_the_app_usable_offline(demo: DemoServer) -> None:
    app = demo_app(demo, secrets=RecordingSecrets(password=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and app.screen.query("#password"), what="prompt")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to main")
        assert app.main.mailbox.session is None
        assert app.main.status.status.state == "offline"
        await pilot.press("q")
    assert app.return_code in (0, None)


@run_async
async def test_info_screen_and_f1_help(demo: DemoServer) -> None:
    from popui.screens.info import InfoScreen

    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen), what="info")
        assert "popui demo POP3 server ready" in "\n".join(
            strip.text for strip in app.screen._compositor.render_strips())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.screen is app.main, what="help closed")
        await pilot.press("q")


@run_async
async def test_refresh_after_a_cancelled_prompt_logs_in(demo: DemoServer) -> None:
    secrets = RecordingSecrets(password=None)
    app = demo_app(demo, secrets=secrets)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and app.screen.query("#password"), what="prompt")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to main")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt), what="prompt 2")
        app.screen.query_one("#password", Input).value = DEMO_PASSWORD
        await pilot.press("enter")
        await listed(pilot, app)
        assert secrets.remembered == []  # "remember" was not ticked
        await pilot.press("q")


@run_async
async def test_sort_dialog_reverse_key_and_header_clicks(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        await wait_until(pilot, lambda: app.main.status.status.loaded == 20, what="headers")
        view = app.main.message_list
        assert "Date ▼" in header_text(app)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, SortDialog), what="sort dialog")
        await pilot.press("z")  # mutt's letter for size
        await wait_until(pilot, lambda: app.screen is app.main, what="dialog closed")
        sizes = [row.size for row in view.view]
        assert sizes == sorted(sizes, reverse=True)
        await pilot.press("O")  # reverse, as in mutt
        assert [row.size for row in view.view] == sorted(sizes)
        await wait_until(pilot, lambda: "Size ▲" in header_text(app), what="arrow flipped")
        header = app.main.query_one(ListHeader)
        start, _ = view.columns().spans()["sender"]
        await pilot.click(header, offset=(start + 1, 0))
        senders = [row.sender.casefold() for row in view.view]
        assert view.sort_key == "sender" and senders == sorted(senders)
        await pilot.click(header, offset=(start + 1, 0))  # the same column again: reversed
        assert [row.sender.casefold() for row in view.view] == sorted(senders, reverse=True)
        await wait_until(pilot, lambda: "From ▼" in header_text(app), what="header")
        # The labels stand over their columns on screen.
        lines = screen_text(app).splitlines()
        first = view.view[0]
        header_line, row_line = lines[0], lines[1]

        def cell(line: str, text: str) -> int:
            return cell_len(line[: line.index(text)])

        assert cell(header_line, "Subject") == cell(row_line, first.subject[:8])
        assert cell(header_line, "From") == cell(row_line, first.sender[:4])
        await pilot.press("q")


@run_async
async def test_a_screen_worker_error_is_a_dialog_not_an_exit(
    demo: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker.StateChanged does not bubble: the full view's save worker reports to the app."""
    import popui.screens.message_view as message_view

    def broken_save(*args: object) -> Path:
        raise LookupError("no codec for this name")

    monkeypatch.setattr(message_view, "save_eml", broken_save)
    app = demo_app(demo)
    async with app.run_test(size=(150, 40)) as pilot:
        await listed(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, message_view.MessageView)
                         and app.screen.message is not None, what="full view")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, message_view.SaveFolderDialog),
                         what="save dialog")
        app.screen.query_one(Input).value = str(tmp_path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorDialog), what="error dialog")
        assert "LookupError: no codec for this name" in screen_text(app)
        assert app.is_running
        await pilot.press("escape")
        assert isinstance(app.screen, message_view.MessageView)
