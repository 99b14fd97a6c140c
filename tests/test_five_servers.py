"""Issue 14's acceptance flow, through the real app, on five real POP3 servers.

List, preview 15 (TOP only: no RETR, nothing marked seen in the server's store), open one (RETR),
mark two, commit, reopen (the two are gone, the rest intact), info screen, protocol log, with STLS
wherever the server offers it (a throw-away test CA). Private instances: tests/dovecot.py and
tests/pop3_servers.py.

What differs between the servers (Debian 12 packages), as seen by this flow:

============  =====  ====  ====  =====  ===================================================
server        CAPA   STLS  TOP   UIDL   other
============  =====  ====  ====  =====  ===================================================
Dovecot 2.3   yes    yes   yes   yes    RETR marks seen (Maildir ``S``), even without QUIT
Cyrus 3.6     yes    yes   yes   yes    SASL PLAIN LOGIN; RETR marks nothing seen; adds
                                        Return-Path/Received on delivery; by default LMTP
                                        turns raw 8-bit header bytes into X (the fixture
                                        sets munge8bit: no)
Courier 1.0   yes    yes   yes   yes    offers ``UTF8 USER`` (popui sends UTF8); RETR marks
                                        seen (Maildir ``S``); LOGIN-DELAY 10 (ignored)
popa3d 1.0    no     no    yes   yes    no CAPA (-ERR), no TLS: plain USER/PASS on loopback
Mailutils 3   yes    yes   yes   yes    RETR marks read (mbox ``Status: R``); adds an X-UIDL
                                        header, so RETR/TOP are longer than LIST says;
                                        greets with an APOP timestamp but refuses APOP
                                        without an APOP database (popui: no APOP over TLS)
============  =====  ====  ====  =====  ===================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_support import run_async, screen_text, wait_until
from dovecot import DovecotServer, require_dovecot
from maildir import as_bytes, make_message
from pop3_servers import SERVERS, PrivateServer, ServerUnavailable

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.pop3.account import Account
from popui.screens.confirm import ConfirmCommit
from popui.screens.info import InfoScreen
from popui.screens.message_view import MessageView
from popui.screens.protocol_log import ProtocolLogScreen
from popui.themes import shipped_themes_dir

COUNT = 20
PREVIEWS = 15
UTF8_SUBJECT = "Grüße aus Köln — 日本語の件名"


def raw_utf8_message(i: int) -> bytes:
    """Message ``i`` with a raw UTF-8 Subject (RFC 6532), as Courier hides it without UTF8."""
    data = as_bytes(make_message(i))
    old = f"Subject: Test message {i:05d}".encode()
    assert old in data
    return data.replace(old, f"Subject: {UTF8_SUBJECT}".encode())


@dataclass
class Target:
    """One server and a fresh user on it, as the flow needs them."""

    name: str
    account: Account
    password: str
    stls: bool
    fill: Any  # (n) -> messages
    deliver: Any  # ([bytes]) -> None
    message_ids: Any  # () -> set of Message-IDs in the server's store
    seen_message_ids: Any  # () -> those the store records as seen/read


@pytest.fixture(scope="module", params=["dovecot", *SERVERS])
def server(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "dovecot":
        require_dovecot()
        yield request.getfixturevalue("dovecot")
        return
    instance = SERVERS[request.param]()
    try:
        instance.start()
    except ServerUnavailable as exc:
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"{request.param}: {exc}; CI is set, so this is an error, not a skip")
        pytest.skip(f"{request.param}: {exc}")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def target(server: Any) -> Target:
    if isinstance(server, DovecotServer):
        user = server.add_user()
        return Target("dovecot", Account(
            name="flow", host=server.host, port=server.port_stls, user=user.name,
            security="starttls", ca_file=str(server.ca_file), timeout=10.0,
        ), user.password, True, user.fill, user.maildir.deliver_many,
            user.maildir.message_ids, user.maildir.seen_message_ids)
    assert isinstance(server, PrivateServer)
    user = server.add_user()
    return Target(server.name, Account(
        name="flow", host=server.host, port=server.port, user=user.login,
        security="starttls" if server.offers_stls else "none", ca_file=str(server.ca_file),
        timeout=10.0,
    ), user.password, server.offers_stls, user.fill,
        lambda messages: server.deliver(user, messages), user.message_ids,
        user.seen_message_ids)


def make_app(target: Target, tmp_path: Path) -> PopuiApp:
    return PopuiApp(account=target.account, secrets=StaticSecret(target.password),
                    state_folder=tmp_path / "state", theme_dirs=[shipped_themes_dir()],
                    debug_level=1)


async def loaded(pilot: Any, app: PopuiApp, count: int) -> None:
    def done() -> bool:
        status = app.main.status.status
        return status.state == "connected" and status.total == count == status.loaded

    await wait_until(pilot, done, timeout=20, what=f"{count} rows with headers")


def sent(app: PopuiApp) -> list[str]:
    return [line.text for line in app.protocol_log.lines() if line.direction == ">"]


@run_async
async def test_acceptance_flow(target: Target, tmp_path: Path) -> None:
    target.fill(COUNT)
    target.deliver([raw_utf8_message(COUNT)])  # the newest
    every = {f"<msg-{i:05d}@popui.test>" for i in range(COUNT + 1)}
    assert target.message_ids() == every
    app = make_app(target, tmp_path)
    async with app.run_test(size=(150, 40)) as pilot:
        await loaded(pilot, app, COUNT + 1)
        rows = list(app.main.message_list.view)
        # Newest first: the generated messages are dated a minute apart, in order.
        assert [r.subject for r in rows] == [UTF8_SUBJECT] + [
            f"Test message {i:05d}" for i in range(COUNT - 1, -1, -1)]

        pane = app.main.preview
        for index, row in enumerate(rows[:PREVIEWS]):
            if index:
                await pilot.press("j")
            await wait_until(pilot, lambda r=row: pane.uid == r.uid and pane.preview is not None,
                             what=f"preview of {row.subject}")
            line = f"Line 4 of message {COUNT - index}."
            await wait_until(pilot, lambda t=line: t in screen_text(app), what="preview text")
        assert not any(text.startswith("RETR") for text in sent(app))
        assert target.seen_message_ids() == set()
        assert target.message_ids() == every

        await pilot.press("enter")  # opens the 15th newest: message 6
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                         and app.screen.message is not None, what="full view")
        body = "\n".join(app.screen.query_one("#mv-body").lines)
        assert "Line 0 of message 6." in body and "Line 4 of message 6." in body
        assert "RETR" in " ".join(sent(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")

        await pilot.press("g")  # top: the two newest
        await pilot.press("d", "d")
        assert len(app.main.mailbox.marks) == 2
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="dialog")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.main.message_list.view) == COUNT - 1
                         and app.main.status.status.state == "connected", what="relisting")

        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen), what="info")
        await pilot.pause()
        info = screen_text(app)
        assert ("TLS: TLSv1" in info) == target.stls
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back from info")

        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ProtocolLogScreen), what="log")
        await wait_until(pilot, lambda: "DELE" in screen_text(app), what="DELE in the log")
        assert target.password not in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back from the log")
        await pilot.press("q")

    gone = {f"<msg-{COUNT:05d}@popui.test>", f"<msg-{COUNT - 1:05d}@popui.test>"}
    assert target.message_ids() == every - gone
    # Only the opened message may be marked seen, and only by servers that do that on RETR.
    assert target.seen_message_ids() <= {"<msg-00006@popui.test>"}
    if target.stls:
        assert "STLS" in sent(app)

    again = make_app(target, tmp_path)
    async with again.run_test(size=(150, 40)) as pilot:
        await loaded(pilot, again, COUNT - 1)
        assert [r.subject for r in again.main.message_list.view] == [
            f"Test message {i:05d}" for i in range(COUNT - 2, -1, -1)]
        await pilot.press("q")
    assert target.message_ids() == every - gone
