"""What a new user saw at 80x24 and while typing a filter (issue: a first hour without
surprises), driven through the real app on the demo server and read off the screen."""

from __future__ import annotations

from pathlib import Path

from app_support import run_async, screen_text, type_text, wait_until
from test_app_keys import demo_app, listed

from popui.config import load_settings
from popui.demo import DemoServer


@run_async
async def test_the_filter_text_is_visible_while_typing(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 24)) as pilot:
        await listed(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "quarterly")
        await wait_until(pilot, lambda: "quarterly" in screen_text(app), what="typed text")
        lines = screen_text(app).splitlines()
        typed = next(i for i, line in enumerate(lines) if "quarterly" in line)
        footer = len(lines) - 1
        assert typed < footer  # its own row, above the footer, not under it
        await pilot.press("escape", "q")


@run_async
async def test_80x24_puts_the_preview_below_and_p_cycles_right_bottom_off(
    demo: DemoServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# mine\n")
    app = demo_app(demo, settings=load_settings(config), config_path=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await listed(pilot, app)
        main = app.main
        # the subject keeps a usable width: the preview moved below the list by itself
        await wait_until(pilot, lambda: main.preview_place == "bottom", what="preview below")
        assert main.message_list.columns().subject >= 30
        await pilot.press("p")
        await wait_until(pilot, lambda: main.preview_place == "off", what="off")
        await pilot.press("p")
        await wait_until(pilot, lambda: main.preview_place == "right", what="right (asked for)")
        await wait_until(pilot, lambda: load_settings(config).ui.preview == "right",
                         what="remembered")
        await pilot.press("q")
    assert "# mine" in config.read_text()


@run_async
async def test_a_wide_terminal_keeps_the_preview_on_the_right(demo: DemoServer) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await listed(pilot, app)
        assert app.main.preview_place == "right"
        assert app.main.message_list.columns().subject >= 30
        await pilot.press("q")
