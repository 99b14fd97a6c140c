"""Issue 12, what a new user ran into in the first hour: each defect driven through the real app
on the embedded demo server (a real POP3 server on this machine)."""

from __future__ import annotations

from pathlib import Path

from app_support import HostApp, run_async, screen_text, wait_until
from textual.pilot import Pilot

from popui.app import PopuiApp
from popui.config import Settings, load_settings
from popui.credentials import StaticSecret
from popui.demo import DEMO_PASSWORD, DemoServer
from popui.screens.message_view import MessageView
from popui.themes import shipped_themes_dir


def demo_app(server: DemoServer, **kwargs: object) -> PopuiApp:
    options: dict[str, object] = {
        "account": server.account(),
        "secrets": StaticSecret(DEMO_PASSWORD),
        "state_folder": False,
        "theme_dirs": [shipped_themes_dir()],
        **kwargs,
    }
    return PopuiApp(**options)  # type: ignore[arg-type]


async def loaded(pilot: Pilot, app: PopuiApp, count: int = 20) -> None:
    await wait_until(pilot, lambda: app.main.status.status.loaded == count
                     and app.main.status.status.state == "connected", what="headers loaded")


# -- 1. double-click opens the message -----------------------------------------------------------

@run_async
async def test_double_click_on_a_row_opens_that_message_and_keeps_the_marks(
    demo: DemoServer,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d")  # a pending mark must survive the double-click
        message_list = app.main.message_list
        target = message_list.view[3]
        await pilot.double_click(message_list, offset=(20, 3))
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView), what="full view")
        assert app.is_running
        assert app.screen.uid == target.uid
        await wait_until(pilot, lambda: app.screen.message is not None, what="message parsed")
        assert len(app.main.mailbox.marks) == 1
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        assert "D" in screen_text(app).splitlines()[1][:2]  # the mark is still drawn


# -- 5. the config file is written only when the user changes a setting -------------------------

async def theme_saves_done(app: PopuiApp) -> None:
    """Wait for any theme save the start-up began (the bug wrote the file from one)."""
    saves = [worker for worker in app.workers if worker.group == "save-theme"]
    if saves:  # (an empty list would mean every worker)
        await app.workers.wait_for_complete(saves)


@run_async
async def test_starting_and_quitting_writes_no_config(demo: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    kept = tmp_path / "kept.toml"
    kept.write_text("# mine\n[accounts.x]\nhost = \"pop.invalid\"\nuser = \"me\"\n")
    before = kept.read_text()
    for path in (config, kept):
        app = demo_app(demo, settings=load_settings(path), config_path=path)
        async with app.run_test(size=(120, 30)) as pilot:
            await loaded(pilot, app)
            await theme_saves_done(app)
            await pilot.press("q")
    assert not config.exists()
    assert kept.read_text() == before


@run_async
async def test_a_cancelled_first_run_form_writes_no_config(tmp_path: Path) -> None:
    from popui.screens.account_form import AccountForm

    config = tmp_path / "config.toml"
    app = PopuiApp(account=None, settings=Settings(), config_path=config, state_folder=False)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AccountForm), what="the form")
        await theme_saves_done(app)
        await pilot.press("escape")
    assert not config.exists()


@run_async
async def test_picking_a_theme_still_saves_it(demo: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    app = demo_app(demo, settings=load_settings(config), config_path=config)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        app.theme = "popui-light"
        await wait_until(pilot, lambda: config.exists()
                         and load_settings(config).ui.theme == "popui-light", what="saved")
        await pilot.press("q")


# -- 4. help and palette fit the screen they are opened on ---------------------------------------

async def open_first(pilot: Pilot, app: PopuiApp) -> MessageView:
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                     and app.screen.message is not None, what="full view")
    assert isinstance(app.screen, MessageView)
    return app.screen


def help_lines(app: PopuiApp) -> dict[str, str]:
    """``title -> keys`` of the help on screen."""
    text = str(app.screen.query_one("#help-keys").render())
    rows: dict[str, str] = {}
    for line in text.splitlines():
        parts = [part for part in line.split("  ") if part.strip()]
        if len(parts) >= 2:
            rows[parts[1].strip()] = parts[0].strip()
    return rows


@run_async
async def test_help_in_the_full_view_lists_the_full_views_keys(demo: DemoServer) -> None:
    from popui.screens.help import HelpScreen

    app = demo_app(demo)
    async with app.run_test(size=(130, 45)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        in_list = help_lines(app)
        assert in_list["Sort by…"] == "o" and "Save .eml" not in in_list
        await pilot.press("escape")
        await open_first(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        in_view = help_lines(app)
        assert in_view["Save"] == "s" and in_view["Save .eml"] == "e"
        assert in_view["Save attachment"] == "w" and in_view["Copy"] == "C"
        assert in_view["Source"] == "v" and in_view["All headers"] == "h"
        assert in_view["Mark"] == "d" and in_view["Help"].startswith("?")
        assert "Sort by…" not in in_view and "Filter" not in in_view
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView), what="back")


@run_async
async def test_the_palette_offers_the_screens_commands_and_one_quit_that_asks(
    demo: DemoServer,
) -> None:
    from popui.screens.confirm import QuitDialog

    app = demo_app(demo)
    async with app.run_test(size=(130, 45)) as pilot:
        await loaded(pilot, app)
        titles = [command.title for command in app.get_system_commands(app.main)]
        assert titles.count("Quit") == 1 and "Sort by…" in titles and "Save .eml" not in titles
        await pilot.press("d")
        view = await open_first(pilot, app)
        commands = {c.title: c for c in app.get_system_commands(view)}
        titles = [command.title for command in app.get_system_commands(view)]
        assert {"Save", "Save attachment", "Save all", "Save .eml", "Source", "All headers",
                "Pager", "Mark", "Back", "Help", "Theme"} <= set(titles)
        assert titles.count("Quit") == 1 and "Sort by…" not in titles and "Filter" not in titles
        await commands["Source"].callback()
        await wait_until(pilot, lambda: view.raw_mode, what="source shown")
        await commands["Quit"].callback()
        await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog),
                         what="the marks question")
        assert app.is_running
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is view, what="back in the view")
        assert len(app.main.mailbox.marks) == 1


# -- 9. Ctrl+C copies a selection; Ctrl+Q quits ---------------------------------------------------

@run_async
async def test_ctrl_c_copies_selected_text_instead_of_quitting(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(130, 45)) as pilot:
        await loaded(pilot, app)
        view = await open_first(pilot, app)
        headers = view.query_one("#mv-header-text")
        headers.text_select_all()
        await pilot.pause()
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: "Subject : " in app.clipboard, what="copied")
        assert app.is_running and app.screen is view
        view.clear_selection()
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, what="quit")


@run_async
async def test_ctrl_c_with_nothing_selected_still_quits(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(130, 45)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "ctrl+c")  # never deletes, never asks
        await wait_until(pilot, lambda: not app.is_running, what="quit")
    assert demo.account() is not None


# -- 9. smaller ones -----------------------------------------------------------------------------

class NoKeyring:
    """Secrets with no stored password and no keyring to keep one in."""

    def get_password(self) -> str | None:
        return None

    def get_oauth_token(self) -> str | None:
        return None

    def remember(self, password: str) -> str | None:
        raise AssertionError("nothing may be remembered without a keyring")

    def forget(self) -> bool:
        return False

    def keyring_status(self) -> str | None:
        return "No keyring backend available (no Secret Service)"


@run_async
async def test_without_a_keyring_remember_is_unticked_disabled_and_looks_it(
    demo: DemoServer,
) -> None:
    from textual.widgets import Checkbox, Input

    from popui.screens.password_prompt import PasswordPrompt

    app = demo_app(demo, secrets=NoKeyring())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and "Password for" in screen_text(app), what="prompt")
        box = app.screen.query_one("#remember", Checkbox)
        assert box.value is False and box.disabled
        text = screen_text(app)
        assert "No keyring backend available" in text
        line = next(line for line in text.splitlines() if "Remember in keyring" in line)
        assert "X" not in line and "(unavailable)" in line
        await pilot.click(box)
        assert box.value is False
        app.screen.query_one("#password", Input).value = DEMO_PASSWORD
        await pilot.press("enter")
        await loaded(pilot, app)


@run_async
async def test_the_protocol_log_at_level_0_says_how_to_turn_it_on(demo: DemoServer) -> None:
    from popui.screens.protocol_log import ProtocolLogScreen

    app = demo_app(demo)  # the app starts at level 0
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ProtocolLogScreen)
                         and "Protocol log level 0" in screen_text(app), what="the log")
        assert "Nothing is logged at level 0: press 1 or 2" in screen_text(app)
        await pilot.press("1")
        await wait_until(pilot, lambda: "level 0: press" not in screen_text(app), what="hint gone")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("r")  # a refresh at level 1 logs commands
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ProtocolLogScreen)
                         and "Protocol log level 1" in screen_text(app), what="the log")
        await wait_until(pilot, lambda: "LIST" in screen_text(app) or "UIDL" in screen_text(app),
                         what="logged commands")
        assert "press 1 or 2" not in screen_text(app)


@run_async
async def test_the_quit_dialog_does_not_use_d() -> None:
    """``d`` means delete everywhere else: in the quit dialog it does nothing."""
    from popui.screens.confirm import QuitDialog

    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(QuitDialog(2))
        await wait_until(pilot, lambda: "2 messages marked" in screen_text(app), what="dialog")
        await pilot.press("d")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, QuitDialog)
        assert "(d)" not in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results, what="an answer")
    assert app.results == ["cancel"]


@run_async
async def test_the_account_picker_takes_j_and_k() -> None:
    from popui.screens.account_picker import AccountPicker

    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(AccountPicker(["home", "work", "lab"]))
        await wait_until(pilot, lambda: "Open which account?" in screen_text(app), what="picker")
        await pilot.press("j", "j", "k", "enter")
        await wait_until(pilot, lambda: app.results, what="a choice")
    assert app.results == ["work"]


# -- 10. progress that moves: a spinner and the time spent ----------------------------------------

@run_async
async def test_status_bar_shows_a_spinner_and_elapsed_time_while_busy() -> None:
    from popui.widgets.status_bar import SPINNER, StatusBar

    now = [100.0]
    bar = StatusBar(clock=lambda: now[0], id="status")
    app = HostApp(bar)
    async with app.run_test(size=(100, 5)) as pilot:
        bar.update_status(account="me@host", state="connecting")
        now[0] = 103.2
        bar.refresh()
        await pilot.pause()
        text = bar.render().plain
        assert "connecting… 3 s" in text
        frame = next(ch for ch in text if ch in SPINNER)
        now[0] = 103.3
        assert next(ch for ch in bar.render().plain if ch in SPINNER) != frame
        bar.update_status(state="logging_in")
        now[0] = 104.5
        assert "logging in… 1 s" in bar.render().plain  # its own clock
        bar.update_status(state="connected", tls="TLSv1.3", total=100, loaded=10)
        text = bar.render().plain
        assert "connected" in text and "headers 10/100 10%" in text
        assert any(ch in SPINNER for ch in text)  # loading headers: still busy
        await pilot.pause()
        # While loading, a new count alone is painted by the spinner's next tick (10 a second)
        # rather than a frame per batch of rows.
        bar.update_status(loaded=20)
        assert "headers 20/100 20%" in bar.render().plain
        await wait_until(pilot, lambda: "headers 20/100 20%" in screen_text(app),
                         what="the new count on screen")
        bar.update_status(loaded=100)
        await pilot.pause()
        assert "headers" not in screen_text(app)  # the last count is painted at once
        assert not any(ch in SPINNER for ch in bar.render().plain)  # idle: nothing moves
        assert bar._ticker is None


@run_async
async def test_loading_progress_fits_an_80_column_status_bar() -> None:
    """While headers load, the progress takes the message count's place (it gives the total
    too): at 80 columns the count and size had pushed it off the edge."""
    from popui.widgets.status_bar import StatusBar

    bar = StatusBar(id="status")
    app = HostApp(bar)
    async with app.run_test(size=(80, 5)) as pilot:
        bar.update_status(account="user0001@pop.example.org", state="connected", tls="TLSv1.3",
                          message_count=100000, mailbox_size=267 << 20, total=100000,
                          loaded=4750)
        await pilot.pause()
        assert "headers 4750/100000 4%" in screen_text(app)
        bar.update_status(loaded=100000)
        await pilot.pause()
        assert "100000 messages, 267M" in screen_text(app)


@run_async
async def test_a_server_that_does_not_greet_shows_time_passing(tmp_path: Path) -> None:
    import socket

    from popui.pop3.account import Account
    from popui.screens.confirm import ErrorDialog

    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never says a word
    account = Account(name="s", host="127.0.0.1", port=silent.getsockname()[1], user="u",
                      security="none", timeout=6.0)
    app = PopuiApp(account=account, secrets=StaticSecret("pw"), state_folder=False)
    async with app.run_test(size=(120, 30)) as pilot:
        def status() -> str:
            return app.main.status.render().plain

        await wait_until(pilot, lambda: "connecting… 1 s" in status(), what="1 s")
        await wait_until(pilot, lambda: "connecting… 2 s" in status(), what="2 s")
        silent.close()  # the waiting connection is reset: the session ends with a dialog
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorDialog), what="the error")
        await wait_until(pilot, lambda: "connecting" not in status(), what="spinner stops")
        await pilot.press("escape")
        await app.action_quit_now()
