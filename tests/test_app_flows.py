"""The real app, driven with Pilot, against the private Dovecot: what the user sees and what
the server's Maildir looks like afterwards."""

from __future__ import annotations

import random
import time
from pathlib import Path

from app_support import notices, run_async, screen_text, wait_until
from engine_support import dovecot_account
from maildir import as_bytes, make_message
from textual.message import Message
from textual.pilot import Pilot

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.screens.confirm import ConfirmCommit, QuitDialog
from popui.screens.message_view import MessageView
from popui.sizes import human_size
from popui.store.state import LocalState
from popui.themes import shipped_themes_dir


def make_app(mailbox, tmp_path: Path, **kwargs) -> PopuiApp:
    return PopuiApp(
        account=dovecot_account(mailbox, port="tls"),
        secrets=StaticSecret(mailbox.password),
        state_folder=tmp_path / "state",
        theme_dirs=[shipped_themes_dir()],
        **kwargs,
    )


async def loaded(pilot: Pilot, app: PopuiApp, count: int) -> None:
    def done() -> bool:
        status = app.main.status.status
        return status.state == "connected" and status.total == count == status.loaded

    await wait_until(pilot, done, what=f"{count} rows with headers")


async def until_preview_of(pilot: Pilot, app: PopuiApp, uid: str) -> None:
    pane = app.main.preview
    await wait_until(pilot, lambda: pane.uid == uid and pane.preview is not None,
                     what=f"preview of {uid}")


@run_async
async def test_list_shows_subjects_and_sizes(mailbox, tmp_path: Path) -> None:
    messages = mailbox.fill(5)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 5)
        rows = app.main.message_list.view
        # Newest first: the fixture dates messages one minute apart, in order.
        assert [row.subject for row in rows] == [f"Test message {i:05d}" for i in range(4, -1, -1)]
        sizes = {f"Test message {i:05d}": len(as_bytes(m)) for i, m in enumerate(messages)}
        assert {row.subject: row.size for row in rows} == sizes
        await wait_until(pilot, lambda: "Test message 00000" in screen_text(app), what="paint")
        text = screen_text(app)
        for row in rows:
            assert row.subject in text
        assert human_size(rows[0].size) in text
        assert "5 messages" in text


@run_async
async def test_previews_leave_every_message_unseen(mailbox, tmp_path: Path) -> None:
    mailbox.fill(5)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 5)
        for index, row in enumerate(list(app.main.message_list.view)):
            if index:
                await pilot.press("j")
            await until_preview_of(pilot, app, row.uid)
            body_line = f"Line 4 of message {row.number - 1}."
            await wait_until(pilot, lambda line=body_line: line in screen_text(app),
                             what="preview on screen")
        await pilot.press("q")  # nothing marked: quits at once
    assert app.main.mailbox.session is None
    assert len(mailbox.maildir.files()) == 5
    assert mailbox.maildir.seen_files() == []


@run_async
async def test_opening_one_message_marks_only_it_seen(mailbox, tmp_path: Path) -> None:
    mailbox.fill(5)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 5)
        await pilot.press("j", "j")  # the third newest: message 2
        row = app.main.message_list.current
        assert row is not None and row.subject == "Test message 00002"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                         and app.screen.message is not None, what="full view")
        assert "Line 4 of message 2." in "\n".join(app.screen.query_one("#mv-body").lines)
        assert row.opened
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        await pilot.press("q")
    assert mailbox.maildir.seen_message_ids() == {"<msg-00002@popui.test>"}
    # Remembered locally as opened; headers come from the local cache, without any TOP.
    app2 = make_app(mailbox, tmp_path, debug_level=1)
    async with app2.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app2, 5)
        opened = {r.subject for r in app2.main.message_list.view if r.opened}
        assert opened == {"Test message 00002"}
        assert len({r.subject for r in app2.main.message_list.view}) == 5
        sent = [line.text for line in app2.protocol_log.lines() if line.direction == ">"]
        assert "UIDL" in sent
        assert not any(text.startswith("TOP") and text.endswith(" 0") for text in sent)


@run_async
async def test_mark_two_and_commit_deletes_exactly_those(mailbox, tmp_path: Path) -> None:
    mailbox.fill(5)
    app = make_app(mailbox, tmp_path, debug_level=1)
    async with app.run_test(size=(150, 30), notifications=True) as pilot:
        await loaded(pilot, app, 5)
        await pilot.press("d", "d")
        assert len(app.main.mailbox.marks) == 2
        await wait_until(pilot, lambda: "2 marked" in screen_text(app), what="status")
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="dialog")
        await wait_until(pilot, lambda: "Test message 00004" in screen_text(app), what="list")
        freed = human_size(sum(row.size for row in app.main.mailbox.marked_rows()))
        assert f"{freed} in total" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.main.message_list.view) == 3
                         and app.main.status.status.state == "connected", what="relisting")
        # The engine's report reads sizes the way the dialog did.
        await wait_until(pilot, lambda: f"deleting 2 messages ({freed})" in screen_text(app),
                         what="commit report")
        assert len(app.main.mailbox.marks) == 0
        assert [r.subject for r in app.main.message_list.view] == [
            "Test message 00002", "Test message 00001", "Test message 00000"]
        await pilot.press("q")
    assert mailbox.maildir.message_ids() == {f"<msg-{i:05d}@popui.test>" for i in (0, 1, 2)}
    assert mailbox.maildir.seen_files() == []


async def _quit_with_three_marked(mailbox, tmp_path: Path, answer: str) -> tuple[
    PopuiApp, set[str]
]:
    app = make_app(mailbox, tmp_path, debug_level=1)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 4)
        await pilot.press("d", "d", "d")
        marked = set(app.main.mailbox.marks)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit dialog")
        await pilot.press(answer)
        await wait_until(pilot, lambda: app.main.mailbox.session is None, what="session stopped")
    assert len(mailbox.maildir.files()) == 4
    commands = [line.text.upper() for line in app.protocol_log.lines() if line.direction == ">"]
    assert any(c.startswith("QUIT") for c in commands)
    assert not any(c.startswith("DELE") for c in commands)
    return app, marked


@run_async
async def test_quit_keeping_the_marks_restores_them_next_time(mailbox, tmp_path: Path) -> None:
    mailbox.fill(4)
    _, marked = await _quit_with_three_marked(mailbox, tmp_path, "k")
    messages: list[Message] = []
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30), message_hook=messages.append) as pilot:
        await loaded(pilot, app, 4)
        await wait_until(pilot, lambda: app.main.mailbox.marks == marked, what="marks restored")
        await wait_until(pilot, lambda: "3 marked" in screen_text(app), what="status")
        await wait_until(pilot, lambda: any(
            "3 marks from your last session restored; nothing was deleted" in text
            for text in notices(messages)), what="the notice of restored marks")
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="dialog")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(mailbox.maildir.files()) == 1, what="deleted")
        await pilot.press("q")
    assert len(mailbox.maildir.message_ids()) == 1


@run_async
async def test_quit_forgetting_the_marks_leaves_none(mailbox, tmp_path: Path) -> None:
    mailbox.fill(4)
    await _quit_with_three_marked(mailbox, tmp_path, "f")
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 4)
        await wait_until(pilot, lambda: "4 messages" in screen_text(app), what="status")
        assert app.main.mailbox.marks == set()
        await pilot.press("q")


@run_async
async def test_ctrl_c_quits_without_deleting_and_keeps_the_marks(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path, debug_level=1)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press("d", "d", "ctrl+c")
        await wait_until(pilot, lambda: app.main.mailbox.session is None, what="session stopped")
        marked = set(app.main.mailbox.marks)
    assert len(mailbox.maildir.files()) == 3
    assert not any(line.text.upper().startswith("DELE") for line in app.protocol_log.lines())
    again = make_app(mailbox, tmp_path)
    async with again.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, again, 3)
        await wait_until(pilot, lambda: again.main.mailbox.marks == marked, what="restored")
        await pilot.press("q", "f")


@run_async
async def test_filter_then_mark_shown_marks_exactly_the_matches(mailbox, tmp_path: Path) -> None:
    subjects = ["Invoice March", "Lunch", "invoice April", "Holiday photos", "Re: INVOICE"]
    mailbox.maildir.deliver_many([make_message(i, subject=s) for i, s in enumerate(subjects)])
    big = make_message(9, subject="Scan", body_lines=3000)
    mailbox.maildir.deliver(big)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 6)
        await pilot.press("slash", *"invoice", "enter")
        await wait_until(pilot, lambda: app.main.message_list.filter_text == "invoice",
                         what="filter")
        await pilot.press("D")
        marked = {app.main.message_list.row(uid).subject for uid in app.main.mailbox.marks}
        assert marked == {"Invoice March", "invoice April", "Re: INVOICE"}
        # By size: one filter away.
        await pilot.press("U", "slash", "ctrl+u", *">50k", "enter")
        await wait_until(pilot, lambda: app.main.message_list.filter_text == ">50k",
                         what="size filter")
        await pilot.press("D")
        marked = {app.main.message_list.row(uid).subject for uid in app.main.mailbox.marks}
        assert marked == {"Scan"}
        await pilot.press("escape")  # clears the filter, keeps the marks
        assert len(app.main.message_list.view) == 6 and len(app.main.mailbox.marks) == 1
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit dialog")
        await pilot.press("d")
    assert len(mailbox.maildir.files()) == 6


HOSTILE_SUBJECT = "[@click=app.quit]x[/] [b]bold \x1b]52;c;cHduZWQ=\x07 \x1b[2J \u202eevil"


@run_async
async def test_hostile_subject_is_shown_literally_and_runs_nothing(
    mailbox, tmp_path: Path
) -> None:
    raw = (
        b"From: [red]Mallory <mallory@evil.test>\r\n"
        b"To: user@popui.test\r\n"
        b"Subject: " + HOSTILE_SUBJECT.encode("utf-8") + b"\r\n"
        b"Date: Mon, 03 Mar 2025 10:00:00 +0000\r\n"
        b"Message-ID: <hostile@evil.test>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"[@click=app.quit]body link[/]\r\n"
    )
    mailbox.maildir.deliver(raw)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 1)
        await until_preview_of(pilot, app, app.main.message_list.view[0].uid)
        await wait_until(pilot, lambda: "body link" in screen_text(app), what="preview shown")
        text = screen_text(app)
        assert "[@click=app.quit]x[/] [b]bold" in text  # in the list and the preview
        assert "[red]Mallory" in text
        assert "[@click=app.quit]body link[/]" in text
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in text
            assert bad not in app.export_screenshot()
        # Clicking the subject, in the list and in the preview, runs no action.
        await pilot.click("#messages", offset=(40, 0))
        await pilot.click("#preview", offset=(20, 4))
        await pilot.click("#preview", offset=(5, 6))
        await pilot.pause()
        assert app.is_running and app.screen is app.main
        await pilot.press("q")


@run_async
async def test_quit_with_commit_deletes_the_marked_and_exits(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press("j", "d", "q")  # marks message 1
        await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit dialog")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, what="exit after commit")
    assert mailbox.maildir.message_ids() == {"<msg-00000@popui.test>", "<msg-00002@popui.test>"}


@run_async
async def test_second_run_takes_every_header_from_the_cache(mailbox, tmp_path: Path) -> None:
    mailbox.fill(80)  # several pages: rows off screen come through the threaded cache pass
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 20)) as pilot:
        await loaded(pilot, app, 80)
        await pilot.press("q")
    again = make_app(mailbox, tmp_path, debug_level=1)
    async with again.run_test(size=(150, 20)) as pilot:
        await loaded(pilot, again, 80)
        assert again.main.message_list.page_height < 40
        subjects = {row.subject for row in again.main.message_list.view}
        assert subjects == {f"Test message {i:05d}" for i in range(80)}
        sent = [line.text for line in again.protocol_log.lines() if line.direction == ">"]
        assert not any(text.startswith("TOP") and text.endswith(" 0") for text in sent)
        await pilot.press("q")


@run_async
async def test_d_in_the_full_view_marks_and_moves_on(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        first, second = app.main.message_list.view[:2]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                         and app.screen.message is not None, what="full view")
        await pilot.press("d")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        assert set(app.main.mailbox.marks) == {first.uid}
        assert app.main.message_list.current is second
        await wait_until(pilot, lambda: "1 marked" in screen_text(app), what="status")
        await pilot.press("ctrl+c")
    assert len(mailbox.maildir.files()) == 3


@run_async
async def test_a_new_message_matching_the_filter_shows_after_refresh(
    mailbox, tmp_path: Path
) -> None:
    subjects = ["Invoice March", "Lunch", "Holiday photos"]
    mailbox.maildir.deliver_many([make_message(i, subject=s) for i, s in enumerate(subjects)])
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press("slash", *"invoice", "enter")
        await wait_until(pilot, lambda: len(app.main.message_list.view) == 1, what="filter")
        mailbox.maildir.deliver(make_message(7, subject="Invoice April"))
        await pilot.press("r")
        # The filter hides the new row until its headers arrive: they must still be fetched.
        await wait_until(pilot, lambda: {r.subject for r in app.main.message_list.view}
                         == {"Invoice March", "Invoice April"}, what="new match shown")
        assert app.main.status.status.loaded == app.main.status.status.total == 4
        await pilot.press("q")


@run_async
async def test_opening_a_message_while_the_state_file_is_locked_does_not_freeze(
    mailbox, tmp_path: Path
) -> None:
    """Another popui holding the state database: remembering "opened" waits off the UI thread."""
    import sqlite3

    from popui.store.state import BUSY_TIMEOUT, DB_NAME

    mailbox.fill(2)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 2)
        other = sqlite3.connect(tmp_path / "state" / DB_NAME, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            started = time.monotonic()
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                             and app.screen.message is not None, what="full view")
            # Not frozen for the busy timeout (a 5 s wait, then the mark was lost).
            assert time.monotonic() - started < BUSY_TIMEOUT - 1
        finally:
            other.execute("ROLLBACK")
            other.close()
        uid = app.screen.uid
        def opened() -> set[str]:
            with LocalState(tmp_path / "state", app.account.keyring_user) as store:
                return store.opened_uids()

        await wait_until(pilot, lambda: opened() == {uid}, what="opened saved")
        await pilot.press("escape", "q")


@run_async
async def test_a_reopen_from_the_cache_is_in_date_order_with_the_cursor_on_top(
    mailbox, tmp_path: Path
) -> None:
    # Every row from the local cache at once: the list stayed in message-number order under
    # "Date ▼", the cursor on the highest number, the newest days off screen.
    order = list(range(120))
    random.Random(7).shuffle(order)
    mailbox.maildir.deliver_many([make_message(i) for i in order])
    first = make_app(mailbox, tmp_path)
    async with first.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, first, 120)
        await pilot.press("q")
    app = make_app(mailbox, tmp_path, debug_level=1)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 120)
        lst = app.main.message_list
        await wait_until(pilot, lambda: [r.subject for r in lst.view[:2]] == [
            "Test message 00119", "Test message 00118"], what="date order")
        dates = [row.date for row in lst.view]
        assert dates == sorted(dates, reverse=True)
        assert lst.cursor == 0 and lst.current is lst.view[0]
        sent = [line.text for line in app.protocol_log.lines() if line.direction == ">"]
        assert not any(text.startswith("TOP") and text.endswith(" 0") for text in sent)
        # once the user has moved, a new listing keeps the cursor on the same message
        await pilot.press("j", "j")
        chosen = lst.current
        await pilot.press("r")
        await wait_until(pilot, lambda: len([e for e in app.protocol_log.lines()
                                             if e.text.startswith("STAT")]) >= 2,
                         what="listed again")
        await loaded(pilot, app, 120)
        assert lst.current is not None and lst.current.uid == chosen.uid
        await pilot.press("q")
