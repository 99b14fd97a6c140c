"""Drive popui headless on the demo mailbox and save the README's screenshots as SVG.

    .venv/bin/python screenshots/make_screenshots.py      # or: make screenshots
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, Log  # noqa: E402

from popui.app import PopuiApp  # noqa: E402
from popui.credentials import StaticSecret  # noqa: E402
from popui.demo import DEMO_PASSWORD, start_demo_server  # noqa: E402
from popui.screens.confirm import ConfirmCommit  # noqa: E402
from popui.screens.copy_prompt import CopyPrompt  # noqa: E402
from popui.screens.message_view import MessageView  # noqa: E402
from popui.screens.protocol_log import ProtocolLogScreen  # noqa: E402
from popui.themes import shipped_themes_dir  # noqa: E402

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
SIZE = (140, 40)


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out driving the app")
        await pilot.pause(0.02)


async def shoot() -> list[Path]:
    server = start_demo_server(300, now=NOW)
    saved: list[Path] = []
    try:
        app = PopuiApp(
            account=server.account(), secrets=StaticSecret(DEMO_PASSWORD), debug_level=1,
            clock=lambda: NOW, state_folder=False, theme_dirs=[shipped_themes_dir()],
        )

        def save(name: str) -> None:
            app.clear_notifications()
            path = HERE / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(HERE))
            saved.append(path)

        async with app.run_test(size=SIZE) as pilot:
            main = app.main

            async def shot(name: str, keys: list[str], ready: Callable[[], object]) -> None:
                """Press ``keys``, wait for ``ready``, let it paint, save ``name``.svg."""
                await pilot.press(*keys)
                await wait_for(pilot, ready)
                await pilot.pause(0.2)
                save(name)

            await wait_for(pilot, lambda: main.status.status.total == main.status.status.loaded
                           == 300)
            await shot("list-with-preview", ["j", "j", "j", "d", "d"],
                       lambda: main.preview.preview is not None
                       and main.preview.uid == main.message_list.current.uid)
            await shot("full-view", ["enter"], lambda: isinstance(app.screen, MessageView)
                       and app.screen.message is not None)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main)
            await shot("commit-dialog", ["dollar_sign"],
                       lambda: isinstance(app.screen, ConfirmCommit))
            await pilot.press("n")
            await wait_for(pilot, lambda: app.screen is main)
            await pilot.press("k", "t", "t", "t", "C")  # three tagged, then copy them
            await wait_for(pilot, lambda: isinstance(app.screen, CopyPrompt))
            box = app.screen.query_one("#dest", Input)
            box.value = "~/Mail/archive/"
            box.cursor_position = len(box.value)
            await shot("copy-prompt", [], lambda: "Maildir:" in str(
                app.screen.query_one("#dest-kind").render()))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main)
            await pilot.press("ctrl+t")
            await pilot.press("L")
            await wait_for(pilot, lambda: isinstance(app.screen, ProtocolLogScreen))
            await pilot.pause(0.3)
            app.screen.query_one(Log).scroll_home(animate=False)  # the login, not the TOP flood
            await shot("protocol-log", [], lambda: True)
            await pilot.press("escape")
            await pilot.press("ctrl+c")
    finally:
        server.stop()
    return saved


def main() -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    for path in asyncio.run(shoot()):
        print(f"saved {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
