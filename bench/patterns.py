"""Benchmark: the filter's patterns and threading over 100,000 rows.

Prints, for typical patterns, the time to compile and filter every row (best of 5) against the
goal of 100 ms, beside the filter popui had before patterns (``RowFilter``, words and sizes)
measured on the same rows in the same run; then the time to thread the rows.

    .venv/bin/python bench/patterns.py [--rows N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from popui.patterns import compile_pattern
from popui.rows import Row, RowFilter
from popui.threads import thread_lines

GOAL = 0.100
NOW = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = [
    "invoice", "meeting", "report", "update", "urgent", "offer", "your", "account", "weekly",
    "newsletter", "order", "shipped", "project", "review", "lunch", "deadline", "résumé", "会議",
    "security", "alert", "password", "reset",
]
NAMES = [
    ("Alice Example", "alice@example.com"), ("Bob", "bob@example.net"),
    ("Mallory Spammer", "deals@spam.example"), ("Carol Doe", "carol@lists.example"),
    ("", "news@example.com"), ("Dave 佐藤", "dave@example.jp"),
]
PATTERNS = [
    "invoice >1M",
    "~f alice ~s invoice",
    "~s (report|invoice) !~D",
    "~C team | ~z >5M",
    "~d <30d ~N",
    "~d 01/06/2025-31/12/2025",
    "!~f example (~s urgent | ~s alert | ~s password)",
    "~f (alice|carol) | ~C (boss|team)",
    "~b password",
]


@dataclass(slots=True, eq=False)
class BenchRow(Row):
    """popui's Row with the fields patterns and threads read that the lead is adding."""

    to: str = ""
    cc: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    marked: bool = False
    tagged: bool = False
    body: str | None = None


def make_rows(count: int, seed: int = 1) -> list[BenchRow]:
    rnd = random.Random(seed)
    rows: list[BenchRow] = []
    for number in range(1, count + 1):
        row = BenchRow(number, f"uid-{number:08d}", rnd.randint(300, 8_000_000))
        subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 9)))
        row.sender, row.sender_addr = rnd.choice(NAMES)
        row.sender = row.sender or row.sender_addr
        row.to = rnd.choice(["me@example.org", "team@example.org", "Me <me@example.org>"])
        row.cc = rnd.choice(["", "", "boss@example.org, team@example.org"])
        row.set_date(NOW - timedelta(minutes=(count - number) * 7))
        row.message_id = f"<m{number}@example.com>"
        if number > 1 and rnd.random() < 0.4:
            parent = rows[rnd.randrange(max(0, number - 200), number - 1)]
            row.in_reply_to = parent.message_id
            row.references = f"{parent.references} {parent.message_id}".strip()[-900:]
            subject = "Re: " + parent.subject.removeprefix("Re: ")
        row.subject = subject
        row.marked = rnd.random() < 0.05
        row.opened = rnd.random() < 0.5
        row.body = subject + " body text " * 20 if rnd.random() < 0.3 else None
        row.loaded = True
        rows.append(row)
    return rows


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    baseline_filter = RowFilter.parse("invoice >1M")
    baseline = best_of(5, lambda: [row for row in rows if baseline_filter(row)])
    print(f"filter, {args.rows:,} rows, best of 5; goal {GOAL * 1000:.0f} ms")
    print(f"  {'RowFilter invoice >1M (before patterns)':50} {baseline * 1000:7.1f} ms")
    ok = True
    for text in PATTERNS:
        result = compile_pattern(text, now=NOW).filter(rows)
        took = best_of(5, lambda text=text: compile_pattern(text, now=NOW).filter(rows))
        ok = ok and took <= GOAL
        note = f", {result.unsearched:,} unsearched" if result.unsearched else ""
        print(
            f"  {text:50} {took * 1000:7.1f} ms  {took / baseline:4.1f}x baseline  "
            f"{took / GOAL:4.2f} of goal  ({len(result.rows):,} shown{note})"
        )
    threaded = best_of(3, lambda: thread_lines(rows))
    print(f"threading {args.rows:,} rows (best of 3): {threaded * 1000:.0f} ms")
    print("  OK" if ok else "  TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
