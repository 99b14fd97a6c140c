"""Delete marks survive the process: saved as they change, restored at the next start.

A popui killed with SIGKILL (no chance to clean up) leaves its marks in the local state; the
next popui restores exactly those, says so, and deletes them only when the user commits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app_support import notices, run_async, wait_until
from engine_support import dovecot_account
from test_app_flows import loaded, make_app
from textual.message import Message

from popui.screens.confirm import ConfirmCommit
from popui.store.state import LocalState

TESTS = Path(__file__).resolve().parent

# The victim: the real app, headless, marks the two newest messages, then waits to be killed.
VICTIM = """
import asyncio, os, sys
from pathlib import Path
sys.path.insert(0, os.environ["TESTS"])
from app_support import wait_until
from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.pop3.account import Account

async def main() -> None:
    account = Account(name="test", host=os.environ["HOST"], port=int(os.environ["PORT"]),
                      user=os.environ["USER_NAME"], security="tls",
                      ca_file=os.environ["CA_FILE"], timeout=10.0)
    app = PopuiApp(account=account, secrets=StaticSecret(os.environ["PASSWORD"]),
                   state_folder=Path(os.environ["STATE"]))
    async with app.run_test(size=(150, 30)) as pilot:
        await wait_until(pilot, lambda: app.main.status.status.loaded == 5, timeout=30)
        await pilot.press("d", "d")
        print("marked", *sorted(app.main.mailbox.marks), flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


def _saved_marks(state: Path, account: str) -> set[str]:
    with LocalState(state, account) as store:
        return store.marks()


@run_async
async def test_marks_survive_sigkill_and_then_exactly_those_are_committed(
    mailbox, tmp_path: Path
) -> None:
    mailbox.fill(5)
    account = dovecot_account(mailbox, port="tls")
    state = tmp_path / "state"
    env = {**os.environ, "TESTS": str(TESTS), "HOST": account.host, "PORT": str(account.port),
           "USER_NAME": mailbox.name, "PASSWORD": mailbox.password,
           "CA_FILE": str(account.ca_file), "STATE": str(state)}
    victim = subprocess.Popen([sys.executable, "-c", VICTIM], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert victim.stdout is not None
        line = victim.stdout.readline()
        assert line.startswith("marked "), f"the victim said {line!r}"
        marked = set(line.split()[1:])
        assert len(marked) == 2
        # Saved as they changed: wait (bounded) until the store thread has written them.
        deadline = time.monotonic() + 20
        while _saved_marks(state, account.keyring_user) != marked:
            assert time.monotonic() < deadline, "the marks never reached the local state"
            time.sleep(0.05)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert len(mailbox.maildir.files()) == 5  # the kill deleted nothing

    messages: list[Message] = []
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30), message_hook=messages.append) as pilot:
        await loaded(pilot, app, 5)
        await wait_until(pilot, lambda: app.main.mailbox.marks == marked, what="restored")
        assert any("2 marks from your last session restored; nothing was deleted" in text
                   for text in notices(messages))
        subjects = {app.main.mailbox.rows[key].subject for key in marked}
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="dialog")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(mailbox.maildir.files()) == 3, what="committed")
        await pilot.press("q")
    left = {f"Test message {i:05d}" for i in range(5)} - subjects
    assert len(left) == 3
    assert mailbox.maildir.message_ids() == {
        f"<msg-{int(s.split()[-1]):05d}@popui.test>" for s in left}
