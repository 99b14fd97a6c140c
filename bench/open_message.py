"""Benchmark: opening the big messages of the hostile corpus (goal: under 1 s each).

For each big case of ``tests/make_corpus.py`` it prints the best of ``--repeat`` runs of:

- parse:     ``popui.mail.message.parse_message`` (MIME tree, text, attachments, headers);
- render:    what the full view computes off the UI thread (parse + wrapped body lines +
             source lines: ``popui.screens.message_view.render``);
- full view: a headless app showing ``MessageView``, from the engine's ``MessageRetrieved`` event
             to the parsed message on screen (body, headers, attachment list painted).

The network (RETR) is not included: the engine reads a 27 MB answer from a local Dovecot in
well under a second, and the view shows progress meanwhile.

    .venv/bin/python bench/open_message.py [--repeat N] [--size 160x50] [--case NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from make_corpus import big_case, big_case_names  # noqa: E402
from textual.app import App  # noqa: E402

from popui.mail.message import parse_message  # noqa: E402
from popui.pop3.events import MessageRetrieved  # noqa: E402
from popui.screens.message_view import MessageView, render  # noqa: E402

GOAL = 1.0


class ViewHost(App[None]):
    """Just enough app to show one MessageView."""


async def full_view(raw: bytes, size: tuple[int, int]) -> float:
    app = ViewHost()
    async with app.run_test(size=size) as pilot:
        view = MessageView("uid-1", len(raw), "big")
        await app.push_screen(view)
        await pilot.pause()
        start = time.perf_counter()
        view.show_message(MessageRetrieved("uid-1", raw))
        while view.rendered is None and not view.has_class("-error"):
            await asyncio.sleep(0.005)  # light polling: the parse thread needs the GIL
        await pilot.pause()  # the refresh that paints it
        elapsed = time.perf_counter() - start
        if view.rendered is None:
            raise SystemExit("the full view failed to show the message")
    return elapsed


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", default="160x50")
    parser.add_argument("--case", action="append", choices=big_case_names())
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    print(f"Opening big messages (best of {args.repeat}, goal < {GOAL:.0f} s)\n")
    header = f"{'case':<22} {'size':>8} {'parse':>8} {'render':>8} {'full view':>10}  goal"
    print(header)
    print("-" * len(header))
    failed = 0
    for name in args.case or big_case_names():
        raw = big_case(name)
        parse = best(args.repeat, lambda raw=raw: parse_message(raw))
        rendered = best(args.repeat, lambda raw=raw: render(raw, width - 4))
        view = min(asyncio.run(full_view(raw, (width, height))) for _ in range(args.repeat))
        ok = view < GOAL
        failed += not ok
        print(f"{name:<22} {len(raw) / 1e6:>6.1f}MB {parse:>7.2f}s {rendered:>7.2f}s "
              f"{view:>9.2f}s  {'pass' if ok else 'FAIL'}")
    print(f"\n{'all pass' if not failed else f'{failed} over the goal'}")


if __name__ == "__main__":
    main()
