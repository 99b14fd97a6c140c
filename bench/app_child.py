"""The app side of bench/wire.py, in a fresh interpreter: from process start until every row is
filled, importing only what ``popui`` itself imports (wire.py's own imports — the Dovecot
fixture, pytest — would otherwise count as the app's start-up).

    app_child.py HOST PORT USER N STATE_FOLDER now|before   (the password on stdin)

Prints ``FILLED <peak RSS in KB>`` once every row has its headers, or ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
import time
from pathlib import Path

APP_TIMEOUT = 900.0


def rows_filled(app: object, n: int) -> bool:
    """Every one of the ``n`` rows has its headers (or failed to get them): the Mailbox model's
    count, read on the UI thread."""
    mailbox = getattr(app, "mailbox", None)
    return mailbox is not None and len(mailbox.rows) == n and mailbox.loaded == n


async def fill(host: str, port: int, user: str, password: str, n: int, state: Path,
               before: bool) -> None:
    from popui.__main__ import load_app, start_mailbox
    from popui.credentials import StaticSecret
    from popui.pop3.account import Account

    if before:  # where the Mailbox model parses header blocks, fresh and cached
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from summarize import before_summarizer

        import popui.mailbox.model

        popui.mailbox.model.summarize_headers = before_summarizer()  # type: ignore[assignment]
    account = Account(name="bench", host=host, port=port, security="none", auth="user",
                      user=user, timeout=60)
    secret = StaticSecret(password)
    # as `popui` does (popui.__main__.main and run_app): the Mailbox first, then Textual
    mailbox = start_mailbox(account, secret, store_folder=state)
    app = load_app()(account=account, secrets=secret, state_folder=state, crash_folder=state,
                   mailbox=mailbox)
    async with app.run_test(size=(160, 50)) as pilot:
        deadline = time.monotonic() + APP_TIMEOUT
        while not rows_filled(app, n):
            if time.monotonic() > deadline:
                print("TIMEOUT", flush=True)
                return
            await pilot.pause(0.01)
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"FILLED {rss_kb}", flush=True)


def main() -> None:
    host, port, user, n, state, which = sys.argv[1:]
    password = sys.stdin.readline().rstrip("\n")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from popui.__main__ import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)
    asyncio.run(fill(host, int(port), user, password, int(n), Path(state), which == "before"))


if __name__ == "__main__":
    main()
