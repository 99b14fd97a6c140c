"""The app's connection life: status-bar states, one toast per outage, refused logins retried
with a countdown, server text cleaned in toasts, and the full view fed under a dialog.

Misbehaviour Dovecot cannot produce (a hostile reply text, a quick LOGIN-DELAY, a slow RETR)
comes from the fault server; the rest runs on Dovecot.
"""

from __future__ import annotations

import poplib
from pathlib import Path
from typing import Any

from app_support import notices, run_async, screen_text, wait_until
from engine_support import dovecot_account
from fault_server import PASSWORD, USER, FaultServer, fault_server, make_fault_server
from textual.message import Message

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.demo.server import Session
from popui.messages import MailboxUpdate
from popui.pop3 import events as ev
from popui.pop3.account import Account
from popui.screens.confirm import ErrorDialog
from popui.screens.help import HelpScreen
from popui.screens.message_view import MessageView

HOSTILE = "\x1b]0;pwned\x07[@click=app.quit]x\u202e"


def fault_account(server: FaultServer) -> Account:
    return Account(name="f", host=server.host, port=server.port, security="none", user=USER,
                   timeout=5.0)


def fault_app(server: FaultServer, **options: Any) -> PopuiApp:
    return PopuiApp(account=fault_account(server), secrets=StaticSecret(PASSWORD),
                    state_folder=False, session_options=options)


def status_text(app: PopuiApp) -> str:
    return app.main.status.render().plain


class HostileInUse(FaultServer):
    def open_maildrop(self, session: Session) -> None:
        self.err(session, f"[IN-USE] {HOSTILE}")


class LoginDelayOnce(FaultServer):
    """Announces ``LOGIN-DELAY 1`` and refuses the first login with ``[LOGIN-DELAY]``."""

    refused = 0

    def capabilities(self, session: Session) -> list[str]:
        return [*super().capabilities(session), "LOGIN-DELAY 1"]

    def open_maildrop(self, session: Session) -> None:
        if not self.refused:
            self.refused += 1
            self.err(session, "[LOGIN-DELAY] wait a second")
            return
        super().open_maildrop(session)


@run_async
async def test_connected_state_names_tls(mailbox, tmp_path: Path) -> None:
    mailbox.fill(1)
    app = PopuiApp(account=dovecot_account(mailbox, port="tls"),
                   secrets=StaticSecret(mailbox.password), state_folder=False)
    async with app.run_test(size=(150, 30)) as pilot:
        await wait_until(pilot, lambda: "connected 🔒 TLSv1.3" in screen_text(app),
                         what="connected state in the status bar")


@run_async
async def test_session_events_during_shutdown_are_dropped(mailbox) -> None:
    """The session thread posts until on_unmount stops it; what arrives once the screens are
    closed (e.g. after "commit and quit") must not raise NoMatches as the app exits."""
    mailbox.fill(1)
    app = PopuiApp(account=dovecot_account(mailbox, port="tls"),
                   secrets=StaticSecret(mailbox.password), state_folder=False)
    async with app.run_test(size=(150, 30)) as pilot:
        await wait_until(pilot, lambda: app.main.status.status.loaded == 1, what="headers")
        uid = app.main.message_list.view[0].uid
    assert not app.is_running
    main = app.main
    assert main.mailbox.session is None
    main.mailbox._from_session(ev.HeadersFetched(((uid, b"Subject: late\r\n\r\n"),), 1, 1))
    for event in (ev.Disconnected("bye"), ev.Fatal("gone")):
        main._update(MailboxUpdate(event))


@run_async
async def test_server_text_in_a_toast_has_no_control_characters() -> None:
    messages: list[Message] = []
    server = HostileInUse()
    server.start()
    try:
        app = fault_app(server)
        async with app.run_test(size=(150, 30), notifications=True,
                                message_hook=messages.append) as pilot:
            await wait_until(pilot, lambda: "pwned" in screen_text(app), what="the toast")
            shown = notices(messages)
            assert any("[@click=app.quit]x" in text for text in shown)  # literal, not markup
            for text in [*shown, screen_text(app), app.export_screenshot()]:
                assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
            assert app.is_running
    finally:
        server.stop()


@run_async
async def test_in_use_counts_down_and_r_logs_in_at_once() -> None:
    with fault_server() as server:
        holder = poplib.POP3(server.host, server.port, timeout=5)
        holder.user(USER)
        holder.pass_(PASSWORD)  # holds the maildrop lock: the app gets [IN-USE]
        app = fault_app(server)
        async with app.run_test(size=(150, 30)) as pilot:
            await wait_until(pilot, lambda: "login refused, retry in 30 s (r: now)"
                             in status_text(app), what="countdown")
            assert app.main.retry_pending
            holder.quit()
            await pilot.press("r")
            await wait_until(pilot, lambda: app.main.status.status.state == "connected"
                             and len(app.main.message_list.view) == 3, what="logged in")
            assert not app.main.retry_pending
            assert app.main.status.status.retry_at is None


@run_async
async def test_login_delay_is_retried_by_itself() -> None:
    server = LoginDelayOnce()
    server.start()
    try:
        app = fault_app(server)
        seen: list[str] = []
        async with app.run_test(size=(150, 30)) as pilot:
            def logged_in() -> bool:
                seen.append(status_text(app))
                return app.main.status.status.state == "connected"

            await wait_until(pilot, logged_in, what="the automatic retry")
        assert server.refused == 1
        assert any("login refused, retry in 1 s" in text for text in seen)
    finally:
        server.stop()


@run_async
async def test_connection_lost_toasts_once_while_attempts_count_up() -> None:
    messages: list[Message] = []
    server = make_fault_server()
    server.start()
    app = fault_app(server, backoff=(0.3, 0.3, 0.3, 0.3))
    seen: list[str] = []
    async with app.run_test(size=(150, 30), message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: app.main.status.status.state == "connected"
                         and app.main.preview.preview is not None, what="connected")
        server.stop()  # every connection cut, every new one refused
        await pilot.press("j")  # the next preview finds the connection gone

        def gave_up() -> bool:
            seen.append(status_text(app))
            return isinstance(app.screen, ErrorDialog) and bool(app.screen.query("#ok"))

        await wait_until(pilot, gave_up, what="giving up after the attempts")
    lost = [m for m in messages if type(m).__name__ == "Notify"
            and m.notification.title == "Connection lost"]  # type: ignore[attr-defined]
    assert len(lost) == 1
    assert any("reconnecting (attempt 3)…" in text for text in seen)
    assert any("reconnecting (attempt 2)… in 1 s" in text for text in seen)


@run_async
async def test_full_view_gets_its_message_under_a_dialog() -> None:
    # RETR drips a byte every 10 ms (2.8 s for the message): the help screen is on top when
    # the message arrives, even on a loaded machine (3 ms, 0.8 s, was sometimes too short)
    with fault_server("slow-drip", targets=("RETR",), drip_delay=0.01) as server:
        app = fault_app(server)
        async with app.run_test(size=(150, 30)) as pilot:
            await wait_until(pilot, lambda: app.main.status.status.state == "connected"
                             and app.main.status.status.loaded == 3, what="listed")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, MessageView), what="view")
            view = app.screen
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            assert view.message is None  # still dripping
            await wait_until(pilot, lambda: view.message is not None, what="message parsed")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is view, what="back to the view")
            assert "body line 1 of message 3" in "\n".join(view.query_one("#mv-body").lines)
