"""The app side of bench/wire.py, in a fresh interpreter: from process start until every row is
filled, importing only what ``popui`` itself imports (wire.py's own imports — the Dovecot
fixture, pytest — would otherwise count as the app's start-up).

    app_child.py HOST PORT USER N STATE_FOLDER now|before|keys   (the password on stdin)

Prints ``FILLED <peak RSS in KB, the app's and its parser process's>`` once every row has its
headers, or ``TIMEOUT``. With ``keys`` it also presses j and k in turn every 50 ms while the
rows fill, and prints after ``FILLED`` the latency of each, in ms: from the key event reaching
the app until the next frame after the cursor moved (the headless driver writes no terminal,
so that is the moment a real one would be written).
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
import time
from pathlib import Path
from typing import Any

APP_TIMEOUT = 900.0


def rows_filled(app: object, n: int) -> bool:
    """Every one of the ``n`` rows has its headers (or failed to get them): the Mailbox model's
    count, read on the UI thread."""
    mailbox = getattr(app, "mailbox", None)
    return mailbox is not None and len(mailbox.rows) == n and mailbox.loaded == n


async def fill(host: str, port: int, user: str, password: str, n: int, state: Path,
               before: bool, keys: bool = False) -> None:
    from popui.__main__ import load_app, start_mailbox
    from popui.credentials import StaticSecret
    from popui.pop3.account import Account

    if before:  # where the Mailbox model parses header blocks, fresh and cached
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from dataclasses import fields

        from summarize import before_summarizer

        import popui.mailbox.model
        from popui.mail.headers import HeaderSummary

        old = before_summarizer()
        names = [f.name for f in fields(HeaderSummary)]

        def before_row(raw: bytes) -> tuple[Any, ...]:
            summary = old(raw)  # type: ignore[misc]
            return HeaderSummary(**{name: getattr(summary, name) for name in names
                                    if hasattr(summary, name)}).to_row()

        popui.mailbox.model.summarize_row = before_row
    account = Account(name="bench", host=host, port=port, security="none", auth="user",
                      user=user, timeout=60)
    secret = StaticSecret(password)
    # as `popui` does (popui.__main__.main and run_app): the Mailbox first, then Textual
    mailbox = start_mailbox(account, secret, store_folder=state)
    app = load_app()(account=account, secrets=secret, state_folder=state, crash_folder=state,
                   mailbox=mailbox)
    async with app.run_test(size=(160, 50)):
        presser = asyncio.create_task(press_keys(app)) if keys else None
        deadline = time.monotonic() + APP_TIMEOUT
        while not rows_filled(app, n):
            if time.monotonic() > deadline:
                print("TIMEOUT", flush=True)
                return
            # Not `pilot.pause`: it waits on every widget and forces a screen update each
            # time (100 a second), work the app does not do when it runs for a user.
            await asyncio.sleep(0.01)
        # the app and its parser process (popui.mailbox.parser_process) together
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + parser_peak_kb(mailbox)
        latencies = ""
        if presser is not None:
            presser.cancel()
            latencies = " " + ",".join(f"{ms:.1f}" for ms in await KEYS.latencies())
        print(f"FILLED {rss_kb}{latencies}", flush=True)


def parser_peak_kb(mailbox: Any) -> int:
    """The parser process's peak resident memory (Linux), 0 when there is none."""
    proc = getattr(getattr(mailbox, "_parser", None), "_proc", None)
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text() if proc else ""
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines()
                 if line.startswith("VmHWM:")), 0)


class KeyClock:
    """When each key was posted, when its cursor move ran, and the frames after it."""

    def __init__(self) -> None:
        self.posted: list[float] = []
        self.moved: list[float] = []
        self.frames: list[float] = []

    async def latencies(self) -> list[float]:
        await asyncio.sleep(0.2)  # the last key's frame
        result = []
        for posted, moved in zip(self.posted, self.moved, strict=False):
            frame = next((f for f in self.frames if f >= moved), None)
            if frame is not None:
                result.append((frame - posted) * 1000)
        return result


KEYS = KeyClock()


async def press_keys(app: Any) -> None:
    from textual import events

    from popui.widgets.message_list import MessageList

    for name in ("cursor_down", "cursor_up"):
        original = getattr(MessageList, name)

        def moved(self: Any, _original: Any = original) -> None:
            KEYS.moved.append(time.perf_counter())
            _original(self)

        setattr(MessageList, name, moved)
    display = app._display

    def frame(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            KEYS.frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = frame
    while True:
        for key in ("j", "k"):
            await asyncio.sleep(0.05)
            if len(KEYS.moved) < len(KEYS.posted):
                continue  # the last one is still waiting: measure each key alone
            KEYS.posted.append(time.perf_counter())
            app.post_message(events.Key(key, key))


def main() -> None:
    host, port, user, n, state, which = sys.argv[1:]
    password = sys.stdin.readline().rstrip("\n")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from popui.__main__ import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)
    asyncio.run(fill(host, int(port), user, password, int(n), Path(state), which == "before",
                     which == "keys"))


if __name__ == "__main__":
    main()
