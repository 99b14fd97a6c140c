"""Drive popui headless on the demo mailbox and save the README's screenshots as SVG.

    .venv/bin/python screenshots/make_screenshots.py      # or: make screenshots

Fixed clock, time zone and terminal size: the same checkout gives the same files. Each picture
is one ``shot(...)`` in ``shoot()``. The SVGs name a font stack instead of Fira Code alone, so
they keep their columns where Fira Code is not installed (check: ``rsvg-convert x.svg -o x.png``).
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
from textual.widgets import Input  # noqa: E402

from popui.app import PopuiApp  # noqa: E402
from popui.credentials import StaticSecret  # noqa: E402
from popui.demo import DEMO_PASSWORD, start_demo_server  # noqa: E402
from popui.pop3.transport import CertificateDetails  # noqa: E402
from popui.screens.certificate import CertificateDialog  # noqa: E402
from popui.screens.confirm import ConfirmCommit  # noqa: E402
from popui.screens.copy_prompt import CopyPrompt  # noqa: E402
from popui.screens.help import HelpScreen  # noqa: E402
from popui.screens.message_view import MessageView  # noqa: E402
from popui.themes import shipped_themes_dir  # noqa: E402

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
SIZE = (140, 40)
COUNT = 300
FONT_STACK = ('"Fira Code", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, '
              '"Noto Sans Mono CJK JP", "IPAGothic", monospace')
CERTIFICATE = CertificateDetails(
    host="pop.example.net", port=995,
    subject="CN=pop.example.net", issuer="CN=pop.example.net (self-signed)",
    not_before=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    not_after=datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
    sha256=":".join(f"{(n * 73 + 41) % 256:02X}" for n in range(32)),
    problem="self-signed certificate",
)


def portable(svg: str) -> str:
    """Rich's SVG asks for ``Fira Code, monospace`` only: name the usual monospace fonts in
    between. And keep leading spaces: without ``xml:space="preserve"`` librsvg drops them and
    right-aligned or indented text slides left."""
    named = "font-family: Fira Code, monospace;"
    root = '<svg class="rich-terminal"'
    if named not in svg or not svg.startswith(root):
        raise SystemExit("Rich's SVG changed: update portable() in make_screenshots.py")
    svg = svg.replace(named, f"font-family: {FONT_STACK};")
    return svg.replace(root, '<svg xml:space="preserve" class="rich-terminal"', 1)


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out driving the app")
        await pilot.pause(0.02)


async def shoot() -> list[Path]:
    server = start_demo_server(COUNT, now=NOW)
    saved: list[Path] = []
    try:
        app = PopuiApp(
            account=server.account(), secrets=StaticSecret(DEMO_PASSWORD),
            clock=lambda: NOW, state_folder=False, theme_dirs=[shipped_themes_dir()],
        )
        async with app.run_test(size=SIZE) as pilot:
            main = app.main

            async def shot(name: str, keys: list[str], ready: Callable[[], object]) -> None:
                """Press ``keys``, wait for ``ready``, let it paint, save ``name``.svg."""
                await pilot.press(*keys)
                await wait_for(pilot, ready)
                await pilot.pause(0.3)
                app.clear_notifications()
                await pilot.pause()
                path = HERE / f"{name}.svg"
                path.write_text(portable(app.export_screenshot()), encoding="utf-8")
                saved.append(path)

            def previewed() -> bool:
                return (main.preview.preview is not None
                        and main.preview.uid == main.message_list.current.uid)

            def reading() -> bool:
                return isinstance(app.screen, MessageView) and app.screen.message is not None

            def listing() -> bool:
                return app.screen is main

            await wait_for(pilot, lambda: main.status.status.total == main.status.status.loaded
                           == COUNT)
            # The workshop invitation (HTML) previewed, a newsletter and a notification marked.
            await shot("list-with-preview", [*"jjjj", "d", "j", "d", *"kkkk"],
                       lambda: previewed()
                       and main.message_list.current.subject.startswith("Workshop"))
            await shot("full-view", ["enter"], reading)
            await shot("filter", ["escape", "slash", *"~f alice", "enter", "j", "j"],
                       lambda: listing() and previewed() and main.message_list.filter_text)
            dark, app.theme = app.theme, "popui-light"
            await shot("threads-light", ["escape", "o", "t", "g", "j", "j"],
                       lambda: not main.message_list.filter_text and previewed())
            app.theme = dark
            await pilot.press("o", "d")
            await shot("commit-dialog", ["dollar_sign"],
                       lambda: isinstance(app.screen, ConfirmCommit))
            await pilot.press("n")
            await wait_for(pilot, listing)
            await pilot.press("k", "t", "t", "t", "C")  # three tagged, then copy them
            await wait_for(pilot, lambda: isinstance(app.screen, CopyPrompt))
            box = app.screen.query_one("#dest", Input)
            box.value = "~/Mail/archive/"
            box.cursor_position = len(box.value)
            await shot("copy-prompt", [], lambda: "Maildir:" in str(
                app.screen.query_one("#dest-kind").render()))
            await pilot.press("escape")
            await wait_for(pilot, listing)
            await pilot.press("ctrl+t")
            await shot("help", ["question_mark"], lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await wait_for(pilot, listing)
            app.push_screen(CertificateDialog(CERTIFICATE, clock=lambda: NOW))
            await shot("certificate", [], lambda: isinstance(app.screen, CertificateDialog))
            await pilot.press("r")
            await wait_for(pilot, listing)
            await pilot.resize_terminal(80, 24)
            await shot("small-terminal", ["g"], previewed)
            await pilot.press("ctrl+q")
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
