"""Benchmark: the list-row header summariser on realistic header blocks (mean ~1.75 KB).

Prints µs per header (best of ``--repeat`` passes over the corpus) for, in the same run:

- fast:        ``summarize_row`` as the parser process calls it for list rows (senders and
               recipients memoised);
- fast, cold:  the same with the memos emptied before every header (every sender new);
- no C:        the same with the field scanner's Python versions (where popui was installed
               without a C compiler; ``popui/mail/field_scan.py``);
- summary:     ``summarize_headers``, the whole ``HeaderSummary`` (what the preview pane shows);
- full split:  ``summary_from_fields(split_message(raw))``, the preview's path: every field split;
- before:      ``summarize_headers`` of commit fc3337d (before issue 9), when git can show it;
- email:       the stdlib parser (``email.parser.BytesHeaderParser``, compat32) plus the same
               field decoding, for scale.

and each one's ratio to the fast path. Goal (issue 9): fast ≤ 20 µs.

    .venv/bin/python bench/summarize.py [-n 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realistic_headers import corpus  # noqa: E402

from popui.mail import field_scan, headers  # noqa: E402
from popui.mail.header_block import split_message  # noqa: E402

BEFORE = "fc3337d"
GOAL_US = 20.0


def before_summarizer() -> Callable[[bytes], object] | None:
    """``summarize_headers`` as it was before issue 9, loaded from git (None without git)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE}:popui/mail/headers.py"],
            capture_output=True, check=True, text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("headers_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "headers_before.py", "exec"), module.__dict__)
    return module.summarize_headers  # type: ignore[no-any-return]


def _fast_cold(raw: bytes) -> object:
    headers._SENDERS.clear()
    headers._RECIPIENTS.clear()
    return headers.summarize_row(raw)


def _fast_python_scan(raw: bytes) -> object:
    headers.wanted_values = field_scan.wanted_values_python
    headers.date_stamp = field_scan.date_stamp_python
    try:
        return headers.summarize_row(raw)
    finally:
        headers.wanted_values = field_scan.wanted_values
        headers.date_stamp = field_scan.date_stamp


_PARSER = BytesHeaderParser(policy=compat32)


def _email(raw: bytes) -> object:
    msg = _PARSER.parsebytes(raw)
    values = {
        name: str(msg[name]).encode("utf-8", "surrogateescape")
        for name in ("from", "subject", "date", "to", "cc", "reply-to", "message-id",
                     "in-reply-to", "references", "content-type")
        if msg[name] is not None
    }
    return headers._summary(values)


def per_header(run: Callable[[bytes], object], blocks: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for raw in blocks:
            run(raw)
        best = min(best, time.perf_counter() - start)
    return best / len(blocks) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="headers in the corpus")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    blocks = corpus(args.n)
    mean = sum(map(len, blocks)) / len(blocks)
    built = field_scan.wanted_values is not field_scan.wanted_values_python
    print(f"{len(blocks):,} realistic header blocks, mean {mean:,.0f} B "
          f"(bench/realistic_headers.py); best of {args.repeat}, µs per header; "
          f"C field scanner {'built' if built else 'NOT built'}")
    paths: list[tuple[str, Callable[[bytes], object] | None]] = [
        ("fast (as the app runs it)", headers.summarize_row),
        ("fast, cold memos", _fast_cold),
        ("fast, no C scanner", _fast_python_scan),
        ("summary (every field)", headers.summarize_headers),
        ("full split (preview path)", lambda raw: headers.summary_from_fields(
            split_message(raw)[0])),
        (f"before issue 9 ({BEFORE})", before_summarizer()),
        ("stdlib email (compat32)", _email),
    ]
    fast = 0.0
    for name, run in paths:
        if run is None:
            print(f"  {name:<28} (git cannot show it here)")
            continue
        us = per_header(run, blocks, args.repeat)
        fast = fast or us
        print(f"  {name:<28} {us:7.1f} µs   {us / fast:5.2f}x the fast path", flush=True)
    ok = fast <= GOAL_US
    print(f"goal: fast ≤ {GOAL_US:.0f} µs — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
