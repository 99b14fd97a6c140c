"""The parts of copy and pipe that need no server: path completion and description for the
copy prompt, and running a command on a message."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest
from app_support import HostApp, run_async, wait_until
from textual import events
from textual.widgets import Input

from popui.mailbox import updates as up
from popui.mailbox.copying import Copier, CopyJob
from popui.mailout import pipe
from popui.mailout.paths import complete, describe
from popui.mailout.pipe import PipeRun
from popui.pop3 import events as ev
from popui.screens.copy_prompt import CopyPrompt


def test_completion_extends_to_what_the_matches_share(tmp_path: Path) -> None:
    (tmp_path / "Mail").mkdir()
    (tmp_path / "Mail" / "inbox").mkdir()
    (tmp_path / "Mail" / "invoices.mbox").write_text("")
    (tmp_path / "Mail" / ".hidden").mkdir()
    assert complete(f"{tmp_path}/Ma") == (f"{tmp_path}/Mail/", ["Mail/"])
    assert complete(f"{tmp_path}/Mail/i") == (f"{tmp_path}/Mail/in",
                                              ["inbox/", "invoices.mbox"])
    assert complete(f"{tmp_path}/Mail/inb") == (f"{tmp_path}/Mail/inbox/", ["inbox/"])
    assert complete(f"{tmp_path}/Mail/") == (f"{tmp_path}/Mail/in", ["inbox/", "invoices.mbox"])
    assert complete(f"{tmp_path}/Mail/.h") == (f"{tmp_path}/Mail/.hidden/", [".hidden/"])
    assert complete(f"{tmp_path}/Mail/x") == (f"{tmp_path}/Mail/x", [])
    assert complete(f"{tmp_path}/nowhere/x") == (f"{tmp_path}/nowhere/x", [])


def test_completion_keeps_the_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Mail").mkdir()
    assert complete("~/Ma") == ("~/Mail/", ["Mail/"])
    assert complete("~no-such-user-popui/x") == ("~no-such-user-popui/x", [])


def test_description_says_maildir_or_mbox(tmp_path: Path) -> None:
    (tmp_path / "box" / "new").mkdir(parents=True)
    (tmp_path / "plain").mkdir()
    (tmp_path / "saved.mbox").write_text("From x\n")
    assert describe(f"{tmp_path}/box").startswith("Maildir: the messages go into its new/")
    assert describe(f"{tmp_path}/plain").startswith("Maildir: cur/ new/ tmp/ are made")
    assert describe(f"{tmp_path}/fresh/").startswith("Maildir: a new folder")
    assert describe(f"{tmp_path}/saved.mbox").startswith("mbox: the messages are appended")
    assert describe(f"{tmp_path}/new.mbox").startswith("mbox: a new file. End the path")
    assert describe(f"{tmp_path}/a/b.mbox").startswith("mbox: a new file (its folders")
    assert describe("").startswith("Type a folder")


def run(command: str, data: bytes = b"") -> tuple[str, pipe.PipeResult]:
    out: list[str] = []
    result = PipeRun(command).run(data, out.append)
    return "".join(out), result


def test_the_command_gets_the_message_with_lf_line_endings() -> None:
    text, result = run("od -c | head -1", b"Subject: x\r\n\r\nbody\r\n")
    assert "\\r" not in text and "\\n" in text
    assert result.returncode == 0 and result.describe() == "The command finished (exit status 0)."


def test_exit_status_stderr_and_bad_bytes_are_shown() -> None:
    text, result = run("printf 'ok\\377\\n'; echo oops >&2; exit 3")
    assert text == "ok\ufffd\noops\n"
    assert result.describe() == "The command exited with status 3."


def test_a_command_that_ignores_its_input_is_not_an_error() -> None:
    text, result = run("echo done", b"x" * 5_000_000)
    assert text == "done\n" and result.returncode == 0


def test_endless_output_is_cut_and_the_command_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipe, "MAX_OUTPUT", 100_000)
    text, result = run("yes")
    assert result.cut and len(text) <= 100_000
    assert "cut off" in result.describe()


def test_stop_ends_the_command_and_what_it_started() -> None:
    runner = PipeRun("echo go; sleep 60 | sleep 60")
    results: list[pipe.PipeResult] = []
    started = threading.Event()
    thread = threading.Thread(
        target=lambda: results.append(runner.run(b"", lambda _: started.set())), daemon=True)
    thread.start()
    assert started.wait(10)
    runner.stop()  # the view closing
    thread.join(10)
    assert not thread.is_alive()
    assert results[0].describe() == "Stopped."


class FakeSession:
    """Stands in for the session: records what the copier asks to RETR, collects updates."""

    def __init__(self) -> None:
        self.asked: queue.Queue[tuple[int, str]] = queue.Queue()
        self.updates: queue.Queue[ev.Event] = queue.Queue()

    def done(self) -> up.CopyDone:
        """The job's end; the messages written on the way are in ``written``."""
        self.written: list[up.CopyProgress] = []
        while not isinstance(update := self.updates.get(timeout=10), up.CopyDone):
            if isinstance(update, up.CopyProgress) and update.uid:
                self.written.append(update)
        return update


def test_a_stopped_copy_ends_after_the_message_being_read(tmp_path: Path) -> None:
    fake = FakeSession()
    copier = Copier(fake.updates.put, lambda job, key: fake.asked.put((job, key)),
                    lambda error: fake.updates.put(ev.Notice(str(error))))
    job = CopyJob(7, ("a", "b", "c"), (10, 10, 10), f"{tmp_path}/out/", save=True)
    copier.start(job)
    assert fake.asked.get(timeout=10) == (7, "a")
    copier.take(ev.CopyRetrieved(7, "a", b"Subject: a\r\n\r\none\r\n"))
    assert fake.asked.get(timeout=10) == (7, "b")
    job.cancelled.set()  # Ctrl+G while b is being read
    copier.take(ev.CopyRetrieved(7, "zzz", b"not asked for"))  # ignored
    copier.take(ev.CopyRetrieved(7, "b", b"Subject: b\r\n\r\ntwo\r\n"))
    done = fake.done()
    copier.stop()
    assert done.copied == ("a", "b") and done.save and done.skipped == ()
    assert done.error == "Stopped after 2 of 3."
    # each saved message is marked as soon as it is on disk (a quit halfway keeps those marks)
    assert [(p.uid, p.save, p.done) for p in fake.written] == [("a", True, 1), ("b", True, 2)]
    assert fake.asked.empty()  # c was never asked for
    files = sorted(p.read_bytes() for p in (tmp_path / "out" / "new").iterdir())
    assert files == [b"Subject: a\n\none\n", b"Subject: b\n\ntwo\n"]


def test_a_message_that_cannot_be_read_is_skipped_and_named(tmp_path: Path) -> None:
    fake = FakeSession()
    copier = Copier(fake.updates.put, lambda job, key: fake.asked.put((job, key)),
                    lambda error: fake.updates.put(ev.Notice(str(error))))
    copier.start(CopyJob(1, ("a", "b"), (10, 10), str(tmp_path / "x.mbox")))
    assert fake.asked.get(timeout=10) == (1, "a")
    copier.take(ev.CopyRetrieveFailed(1, "a", "no longer on the server"))
    assert fake.asked.get(timeout=10) == (1, "b")
    copier.take(ev.CopyRetrieved(1, "b", b"Subject: b\r\n\r\nFrom me\r\n"))
    done = fake.done()
    copier.stop()
    assert done.copied == ("b",) and done.skipped == (("a", "no longer on the server"),)
    assert done.kind == "mbox" and done.error == ""
    assert (tmp_path / "x.mbox").read_bytes().endswith(b"Subject: b\n\n>From me\n\n")


@run_async
async def test_tab_right_after_a_letter_completes_the_whole_text(tmp_path: Path) -> None:
    """A terminal can deliver ``b`` and Tab in one read: Tab must see the ``b``."""
    (tmp_path / "inbox").mkdir()
    (tmp_path / "invoices").mkdir()
    app = HostApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        app.push_collect(CopyPrompt("Copy to:", f"{tmp_path}/in", []))
        await wait_until(pilot, lambda: isinstance(app.screen, CopyPrompt)
                         and app.screen.query("#dest"), what="prompt")
        box = app.screen.query_one("#dest", Input)
        await wait_until(pilot, lambda: box.has_focus, what="focus")
        for key, char in (("b", "b"), ("tab", "\t")):  # both queued before either is handled
            app.post_message(events.Key(key, char))
        await wait_until(pilot, lambda: box.value == f"{tmp_path}/inbox/",
                         what=f"completed (value {box.value!r})")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results == [f"{tmp_path}/inbox/"], what="dismissed")
