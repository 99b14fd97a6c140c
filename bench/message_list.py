"""Benchmark: the message list with 100,000 messages.

Prints the time to first paint (rows handed to the list → every visible line rendered, and
→ the first screen update of a headless app) and the time to render one page-down. Targets:
first paint well under 0.5 s, page-down under 16 ms (one frame at 60 Hz).

    .venv/bin/python bench/message_list.py [--rows N] [--size 160x50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult
from textual.geometry import Region

from popui.rows import Row
from popui.themes import POPUI_THEME, mail_variable_defaults
from popui.widgets.message_list import MessageList

WORDS = [
    "invoice", "meeting", "report", "update", "urgent", "offer", "your", "account", "weekly",
    "newsletter", "order", "shipped", "re:", "fwd:", "project", "review", "lunch", "deadline",
    "résumé", "会議", "security", "alert", "password", "reset",
]
NAMES = ["Alice Example", "Bob", "Mallory Spammer", "Carol Doe", "news@example.com", "Dave 佐藤"]


def make_rows(count: int, seed: int = 1) -> list[Row]:
    rnd = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    for number in range(1, count + 1):
        row = Row(number, f"uid-{number:08d}", rnd.randint(300, 8_000_000))
        row.subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 9)))
        row.sender = rnd.choice(NAMES)
        row.set_date(start + timedelta(minutes=number * 20))
        row.attachment = rnd.random() < 0.2
        row.loaded = True
        rows.append(row)
    return rows


class BenchApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.register_theme(POPUI_THEME)
        self.theme = POPUI_THEME.name

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return mail_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield MessageList(id="list")


def render_viewport(widget: MessageList) -> None:
    widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))


async def run(count: int, width: int, height: int) -> dict[str, float]:
    t = time.perf_counter()
    rows = make_rows(count)
    build = time.perf_counter() - t
    app = BenchApp()
    results: dict[str, float] = {"build_rows": build}
    async with app.run_test(size=(width, height)) as pilot:
        widget = app.query_one(MessageList)
        widget.focus()
        await pilot.pause()

        t = time.perf_counter()
        widget.set_rows(rows)
        render_viewport(widget)
        results["first_paint_lines"] = time.perf_counter() - t

        # The same again, through a real screen update of the (headless) app.
        widget.set_rows([])
        await pilot.pause()
        t = time.perf_counter()
        widget.set_rows(rows)
        await pilot.pause()
        results["first_paint_app"] = time.perf_counter() - t

        timings = []
        for _ in range(50):
            t = time.perf_counter()
            widget.page_down()
            render_viewport(widget)
            timings.append(time.perf_counter() - t)
        results["page_down_median"] = statistics.median(timings)
        results["page_down_p95"] = sorted(timings)[int(len(timings) * 0.95) - 1]
        results["page_down_max"] = max(timings)

        t = time.perf_counter()
        widget.set_sort("subject")
        results["sort_subject"] = time.perf_counter() - t
        t = time.perf_counter()
        widget.set_filter("invoice >1M")
        results["filter"] = time.perf_counter() - t
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--size", default="160x50")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    r = asyncio.run(run(args.rows, width, height))
    ms = {k: v * 1000 for k, v in r.items()}
    print(f"message list, {args.rows:,} rows, {width}x{height} headless, Textual app")
    print(f"  building the row objects         {ms['build_rows']:8.1f} ms  (model, not UI)")
    print(f"  first paint (rows → lines)       {ms['first_paint_lines']:8.1f} ms  target < 500")
    print(f"  first paint (rows → screen)      {ms['first_paint_app']:8.1f} ms  target < 500")
    print(f"  page-down render, median         {ms['page_down_median']:8.2f} ms  target < 16")
    print(f"  page-down render, 95th percentile{ms['page_down_p95']:8.2f} ms")
    print(f"  page-down render, worst of 50    {ms['page_down_max']:8.2f} ms")
    print(f"  re-sort by subject               {ms['sort_subject']:8.1f} ms")
    print(f"  filter 'invoice >1M'             {ms['filter']:8.1f} ms")
    ok = (
        r["first_paint_app"] < 0.5 and r["first_paint_lines"] < 0.5
        and r["page_down_median"] < 0.016
    )
    print("  OK" if ok else "  TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
