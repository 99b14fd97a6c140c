"""A server without TOP (and without CAPA, so popui cannot know beforehand): the list says so
once, asks once per account whether to fill the rows by downloading whole messages (which marks
them seen), and the commit dialog names messages by number and size, never "(no subject)"."""

from __future__ import annotations

from pathlib import Path

from app_support import run_async, screen_text, wait_until
from fault_server import PASSWORD, USER, FaultServer, default_messages, fault_server

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.pop3.account import Account
from popui.screens.confirm import ConfirmCommit, NoTopDialog


def no_top_app(server: FaultServer, state: Path) -> PopuiApp:
    account = Account(name="f", host=server.host, port=server.port, security="none",
                      user=USER, timeout=5.0)
    return PopuiApp(account=account, secrets=StaticSecret(PASSWORD), state_folder=state)


@run_async
async def test_no_top_asks_once_then_fills_by_retr_and_remembers(tmp_path: Path) -> None:
    with fault_server(["no-top", "no-capa"], default_messages(40)) as server:
        app = no_top_app(server, tmp_path)
        async with app.run_test(size=(150, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, NoTopDialog)
                             and "marks every one of them as seen" in screen_text(app),
                             what="the dialog")
            # one refused TOP was enough to know; the progress does not hang at 0/40
            assert server.verbs().count("TOP") == 1
            assert "headers 0/40" not in app.main.status.render().plain
            await pilot.press("w")
            await wait_until(pilot, lambda: all(
                r.loaded and not r.error for r in app.main.mailbox.rows.values()),
                what="rows filled by RETR")
            assert {r.subject for r in app.main.mailbox.rows.values()} == {
                f"message {n}" for n in range(1, 41)}
            await pilot.press("q")
        assert server.verbs().count("RETR") == 40
        retr_before = server.verbs().count("RETR")
        # Next time: no question, the rows come from the cache, nothing is downloaded again.
        again = no_top_app(server, tmp_path)
        async with again.run_test(size=(150, 40)) as pilot:
            await wait_until(pilot, lambda: again.main.mailbox.loaded == 40
                             and all(not r.error for r in again.main.mailbox.rows.values()),
                             what="rows from the cache")
            assert not isinstance(again.screen, NoTopDialog)
            await pilot.press("q")
        assert server.verbs().count("RETR") == retr_before


@run_async
async def test_no_top_sizes_only_names_messages_by_number_and_size(tmp_path: Path) -> None:
    with fault_server(["no-top", "no-capa"], default_messages(5)) as server:
        app = no_top_app(server, tmp_path)
        async with app.run_test(size=(150, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, NoTopDialog), what="dialog")
            await pilot.press("s")
            await wait_until(pilot, lambda: app.screen is app.main, what="back")
            await wait_until(pilot, lambda: app.main.mailbox.loaded == 5, what="rows done")
            await pilot.press("d", "d", "dollar_sign")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="commit")
            text = screen_text(app)
            assert "(no subject)" not in text
            assert "message 5, " in text and "message 4, " in text
            await pilot.press("n", "q", "f")
        assert "RETR" not in server.verbs()
