"""The Mailbox logs in before the app exists (``popui.__main__.run_app``), so the login's round
trips overlap Textual's start-up; the main screen takes that login over instead of starting a
second one, and prompts as before when nothing is stored."""

from __future__ import annotations

import threading
import time

from app_support import run_async, screen_text, type_text, wait_until
from engine_support import dovecot_account

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.pop3 import events as ev
from popui.pop3.protocol_log import ProtocolLog
from popui.screens.password_prompt import PasswordPrompt


class CountingSecret(StaticSecret):
    def __init__(self, password: str | None) -> None:
        super().__init__(password or "")
        self.stored = password
        self.asked = 0

    def get_password(self) -> str | None:
        self.asked += 1
        return self.stored


def logins(log: ProtocolLog) -> int:
    return sum(1 for line in log.lines() if line.text.startswith("logged in as "))


@run_async
async def test_the_screen_takes_over_the_login_begun_before_the_app(mailbox) -> None:
    mailbox.fill(3)
    secret = CountingSecret(mailbox.password)
    log = ProtocolLog(level=1)
    box = Mailbox(dovecot_account(mailbox), log=log)
    found = box.log_in_early(secret).result(timeout=10)
    assert found.credentials is not None and found.problem is None
    assert box.session is not None  # logging in already, with no screen to show it
    app = PopuiApp(account=box.account, secrets=secret, mailbox=box, state_folder=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: len(box.rows) == 3 and box.loaded == 3,
                         what="the three rows filled")
        assert app.protocol_log is log
    assert secret.asked == 1  # looked up once, before the app
    assert logins(log) == 1  # one login: the screen did not start another


@run_async
async def test_nothing_stored_means_the_screen_asks_for_the_password(mailbox) -> None:
    mailbox.fill(1)
    secret = CountingSecret(None)
    box = Mailbox(dovecot_account(mailbox), log=ProtocolLog(level=1))
    assert box.log_in_early(secret).result(timeout=10).credentials is None
    assert box.session is None
    app = PopuiApp(account=box.account, secrets=secret, mailbox=box, state_folder=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and "Password for" in screen_text(app), what="the password prompt")
        await type_text(pilot, mailbox.password)
        await pilot.press("enter")
        await wait_until(pilot, lambda: box.loaded == 1, what="the row filled")
    assert secret.asked == 1


def test_a_mailbox_stopped_during_the_lookup_starts_no_session(mailbox) -> None:
    """Quitting while a password command still runs: its answer must not log in afterwards."""
    release = threading.Event()

    class SlowSecret(CountingSecret):
        def get_password(self) -> str | None:
            release.wait(10)
            return super().get_password()

    box = Mailbox(dovecot_account(mailbox))
    future = box.log_in_early(SlowSecret(mailbox.password))
    box.stop()
    release.set()
    assert future.result(timeout=10).credentials is not None
    assert box.session is None


def test_a_cold_start_fetches_every_header_before_a_screen_is_there(mailbox, tmp_path) -> None:
    """Nothing cached: the Mailbox asks the server for the headers as soon as the cache is read,
    newest first, instead of waiting for the screen to be built."""
    mailbox.fill(5)
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path)
    try:
        box.log_in_early(StaticSecret(mailbox.password)).result(timeout=10)

        def parsed() -> list[str]:
            return [key for event in list(box._early) if isinstance(event, up.HeadersParsed)
                    for key, _ in event.rows]

        deadline = time.monotonic() + 10
        while len(parsed()) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        listing = next(e for e in box._early if isinstance(e, ev.Listing))
        assert parsed() == [m.uid for m in reversed(listing.messages)]  # newest first
    finally:
        box.stop()
