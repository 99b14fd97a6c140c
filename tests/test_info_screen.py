"""The info screen shows what the server offered before login and what it offers after, and
whether UTF-8 mode (RFC 6856) is in effect — from a real Dovecot STLS session and the
Courier-like fake."""

from __future__ import annotations

from app_support import HostApp, run_async, screen_text, wait_until
from engine_support import dovecot_account
from fault_server import PASSWORD, USER, fault_server

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.screens.info import InfoScreen


async def rendered(client: Pop3Client) -> str:
    """The info screen for a logged-in client, as a user sees it."""
    screen = InfoScreen(client.welcome.decode(), client.capabilities, client.tls_version,
                        client.auth_method, server="test", negotiated=client.negotiated)
    app = HostApp()
    async with app.run_test(size=(110, 100)) as pilot:
        app.push_screen(screen)
        await pilot.pause()
        return screen_text(app)


def sections(text: str) -> tuple[str, str]:
    before = text.split("Capabilities offered before login", 1)[1]
    before, after = before.split("Capabilities after login", 1)
    return before, after.split("CAPA as sent", 1)[0]


@run_async
async def test_dovecot_stls_shows_what_was_offered_before_login(mailbox) -> None:
    client = Pop3Client(dovecot_account(mailbox, port="stls"))
    try:
        client.login(Credentials(password=mailbox.password))
        text = await rendered(client)
    finally:
        client.quit()
    before, after = sections(text)
    assert "STLS           : yes (used to start TLS)" in before
    assert "USER           : yes" in before
    assert "SASL           : PLAIN LOGIN CRAM-MD5" in before
    # after login Dovecot offers no login methods any more: what the issue saw alone
    assert "STLS           : no" in after
    assert "USER           : no" in after
    assert "SASL           : none" in after
    raw = text.split("CAPA as sent", 1)[1]
    assert raw.index("before STLS (plaintext):") < raw.index("  STLS") < raw.index(
        "before login:") < raw.index("after login:")
    assert "UTF-8 mode: off: the server does not offer UTF8" in text


@run_async
async def test_courier_utf8_mode_is_shown() -> None:
    with fault_server("courier-utf8") as server:
        client = Pop3Client(Account(name="c", host=server.host, port=server.port,
                                    security="none", user=USER, auth="user"))
        try:
            client.login(Credentials(password=PASSWORD))
            text = await rendered(client)
        finally:
            client.quit()
    assert "UTF-8 mode: on (RFC 6856)" in text
    before, after = sections(text)
    assert "UTF8           : yes" in before and "UTF8           : yes" in after
    assert "before STLS" not in text


@run_async
async def test_the_app_info_screen_shows_both_sets_on_a_dovecot_stls_session(mailbox) -> None:
    mailbox.fill(2)
    app = PopuiApp(account=dovecot_account(mailbox, port="stls"),
                   secrets=StaticSecret(mailbox.password), state_folder=False)
    async with app.run_test(size=(110, 100)) as pilot:
        await wait_until(pilot, lambda: app.main.status.status.loaded == 2, what="2 rows")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen), what="info")
        await pilot.pause()
        text = screen_text(app)
        await pilot.press("escape")
        await app.action_quit_now()
    before, after = sections(text)
    assert "STLS           : yes (used to start TLS)" in before and "USER           : yes" in before
    assert "SASL           : PLAIN" in before and "SASL           : none" in after
    assert "TLS: TLSv1" in text
