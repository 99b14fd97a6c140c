"""Snapshots of the main screens on the demo mailbox: fixed size, fixed clock, fixed time zone,
no blinking cursor in view. Update with ``pytest tests/test_snapshots.py --snapshot-update``
after checking the report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from app_support import wait_until
from textual.pilot import Pilot

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.demo import DEMO_PASSWORD, DemoServer, start_demo_server
from popui.screens.confirm import ConfirmCommit
from popui.screens.help import HelpScreen
from popui.screens.message_view import MessageView
from popui.themes import shipped_themes_dir

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
SIZE = (130, 36)


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoServer]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    server = start_demo_server(60, now=NOW)
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        time.tzset()


def demo_app(server: DemoServer) -> PopuiApp:
    return PopuiApp(
        account=server.account(),
        secrets=StaticSecret(DEMO_PASSWORD),
        clock=lambda: NOW,
        state_folder=False,
        theme_dirs=[shipped_themes_dir()],
    )


async def ready(pilot: Pilot) -> None:
    """Every header in, the first preview shown, no toast left."""
    app = pilot.app
    assert isinstance(app, PopuiApp)

    def settled() -> bool:
        status = app.main.status.status
        pane = app.main.preview
        return (
            status.total == status.loaded == 60
            and pane.preview is not None
            and pane.uid == app.main.message_list.current.uid
        )

    await wait_until(pilot, settled, what="list and preview")
    app.clear_notifications()
    await pilot.pause()


def test_list_with_preview(demo: DemoServer, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("j", "j", "d", "d")
        await wait_until(pilot, lambda: pilot.app.main.preview.preview is not None
                         and pilot.app.main.preview.uid == pilot.app.main.message_list.current.uid)

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


def test_filtered_and_sorted(demo: DemoServer, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("p", "o", "s", "slash", *"re:", "enter", "D")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


def test_commit_dialog(demo: DemoServer, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("d", "d", "d", "dollar_sign")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmCommit))

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


def test_full_view(demo: DemoServer, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MessageView)
                         and pilot.app.screen.message is not None)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


def test_help(demo: DemoServer, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)
