"""Keeping mail in the app (issue 10): tags, copy (C) and save (s) to a Maildir or an mbox,
pipe (|), from the list and from the full view. The real app against the private Dovecot; the
copies are compared byte for byte with the server's Maildir files."""

from __future__ import annotations

import mailbox as stdlib_mailbox
import re
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from app_support import notices, run_async, screen_text, type_text, wait_until
from engine_support import dovecot_account
from maildir import make_message, message_id
from test_app_flows import loaded, make_app
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.screens.copy_prompt import CopyPrompt
from popui.screens.message_view import MessageView
from popui.screens.pipe_view import PipePrompt, PipeView
from popui.themes import shipped_themes_dir


def server_copy(user: Any, mid: str) -> bytes:
    """The server's file of ``mid`` with LF line endings: what a local copy must be."""
    return user.maildir.by_message_id()[mid].read_bytes().replace(b"\r\n", b"\n")


def mid_of(data: bytes) -> str:
    return str(BytesHeaderParser().parsebytes(data).get("Message-ID", "")).strip()


def maildir_copies(path: Path) -> dict[str, bytes]:
    copies = {}
    for file in (path / "new").iterdir():
        data = file.read_bytes()
        assert mid_of(data) not in copies
        copies[mid_of(data)] = data
    assert list((path / "tmp").iterdir()) == []
    return copies


def mbox_copies(path: Path) -> dict[str, bytes]:
    box = stdlib_mailbox.mbox(path, create=False)
    try:
        return {mid_of(data): data for data in
                (re.sub(rb"(?m)^>(>*From )", rb"\1", box.get_bytes(key)) for key in box.iterkeys())}
    finally:
        box.close()


def row_of(app: PopuiApp, mid_number: int) -> Any:
    subject = f"Test message {mid_number:05d}"
    return next(row for row in app.main.message_list.view if row.subject == subject)


async def go_to(pilot: Pilot, app: PopuiApp, mid_number: int) -> None:
    app.main.message_list.move_to_uid(row_of(app, mid_number).uid)
    await pilot.pause()


async def answer_copy_prompt(pilot: Pilot, app: PopuiApp, dest: str) -> str:
    """Type ``dest`` and press Enter; the prompt's text as it was shown, in one line."""
    await wait_until(pilot, lambda: isinstance(app.screen, CopyPrompt), what="copy prompt")
    app.screen.query_one("#dest", Input).value = dest
    kind = "Maildir:" if dest.endswith("/") else "mbox:"
    await wait_until(pilot, lambda: kind in screen_text(app), what="what the path will be")
    shown = " ".join(line.strip(" █") for line in screen_text(app).splitlines())
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CopyPrompt), what="prompt gone")
    return shown


async def copy_finished(pilot: Pilot, app: PopuiApp) -> None:
    await wait_until(pilot, lambda: app.main.mailbox.copying is None, what="copy done")
    await pilot.pause()


@run_async
async def test_copy_tagged_to_a_maildir_is_the_servers_bytes(mailbox, tmp_path: Path) -> None:
    mailbox.fill(5)
    seen: list[Message] = []
    app = make_app(mailbox, tmp_path)
    dest = tmp_path / "kept"
    async with app.run_test(size=(150, 30), message_hook=seen.append) as pilot:
        await loaded(pilot, app, 5)
        await go_to(pilot, app, 1)
        await pilot.press("t")  # tags and moves on
        await go_to(pilot, app, 3)
        await pilot.press("t")
        tagged = {row_of(app, 1).uid, row_of(app, 3).uid}
        assert app.main.mailbox.tags == tagged
        await wait_until(pilot, lambda: "2 tagged" in screen_text(app), what="status")
        line = next(text for text in screen_text(app).splitlines() if "Test message 00003" in text)
        assert line.startswith(" *N")  # the tag shows in the flags column
        await pilot.press("C")
        prompt = await answer_copy_prompt(pilot, app, f"{dest}/")
        await copy_finished(pilot, app)
        assert "RETR: the server marks them as seen" in prompt
        assert app.main.mailbox.marks == set()  # a copy marks nothing
        assert app.main.mailbox.tags == tagged  # tags stay, as in mutt
        assert any("Copied 2 messages" in text and str(dest) in text for text in notices(seen))
        assert row_of(app, 1).opened and row_of(app, 3).opened
        await pilot.press("q")
    wanted = {message_id(1), message_id(3)}
    assert maildir_copies(dest) == {mid: server_copy(mailbox, mid) for mid in wanted}
    assert mailbox.maildir.seen_message_ids() == wanted  # RETR marked exactly those seen
    # The next session offers the place used last (kept for the account).
    app2 = make_app(mailbox, tmp_path)
    async with app2.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app2, 5)
        await pilot.press("C")
        await wait_until(pilot, lambda: isinstance(app2.screen, CopyPrompt), what="prompt")
        assert app2.screen.query_one("#dest", Input).value == f"{dest}/"
        await pilot.press("escape", "q")
    assert maildir_copies(dest) == {mid: server_copy(mailbox, mid) for mid in wanted}


@run_async
async def test_save_tagged_to_an_mbox_marks_them_and_commit_deletes_only_them(
    mailbox, tmp_path: Path
) -> None:
    # Bodies with "From " lines: the mbox must give them back unchanged.
    messages = [make_message(i) for i in range(4)]
    for msg in messages[:2]:
        msg.set_content("From the start\n>From quoted already\nFrom here too\n")
    mailbox.maildir.deliver_many(messages)
    app = make_app(mailbox, tmp_path)
    dest = tmp_path / "Mail" / "saved.mbox"
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 4)
        app.main._apply_filter("Test message 0000")
        await pilot.press("T")  # every message the filter shows
        assert len(app.main.mailbox.tags) == 4
        await pilot.press("ctrl+t")
        assert app.main.mailbox.tags == set()
        for number in (0, 1):
            await go_to(pilot, app, number)
            await pilot.press("t")
        await pilot.press("s")
        prompt = await answer_copy_prompt(pilot, app, str(dest))
        await copy_finished(pilot, app)
        assert "marked for deletion" in prompt and "RETR" in prompt
        saved = {row_of(app, 0).uid, row_of(app, 1).uid}
        assert app.main.mailbox.marks == saved
        await wait_until(pilot, lambda: "2 marked" in screen_text(app), what="marks counted")
        wanted = {message_id(0), message_id(1)}
        assert mbox_copies(dest) == {mid: server_copy(mailbox, mid) for mid in wanted}
        assert b"\n>From the start\n>>From quoted already\n" in dest.read_bytes()
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: "Delete" in screen_text(app), what="confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.main.mailbox.marks == set(), what="committed")
        await pilot.press("q")
    assert mailbox.maildir.message_ids() == {message_id(2), message_id(3)}


@run_async
async def test_save_from_the_full_view_writes_the_open_message_and_moves_on(
    mailbox, tmp_path: Path
) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path)
    dest = tmp_path / "one.mbox"
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        await go_to(pilot, app, 1)
        uid = row_of(app, 1).uid
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                         and app.screen.message is not None, what="full view")
        await pilot.press("s")
        prompt = await answer_copy_prompt(pilot, app, str(dest))
        # the bytes are at hand: no RETR is needed, and the prompt does not warn about one
        assert "RETR" not in prompt and "marked for deletion" in prompt
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        assert app.main.mailbox.marks == {uid}
        assert app.main.message_list.current is not None
        assert app.main.message_list.current.uid != uid  # moved past it, as mutt's pager
        await pilot.press("q")
        await wait_until(pilot, lambda: "marked" in screen_text(app), what="quit dialog")
        await pilot.press("escape")
    assert mbox_copies(dest) == {message_id(1): server_copy(mailbox, message_id(1))}


@run_async
async def test_copy_to_an_unwritable_place_says_so_and_save_marks_nothing(
    mailbox, tmp_path: Path
) -> None:
    mailbox.fill(2)
    seen: list[Message] = []
    not_mbox = tmp_path / "notes.txt"
    not_mbox.write_text("my notes\n")
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30), message_hook=seen.append) as pilot:
        await loaded(pilot, app, 2)
        await pilot.press("s")
        await answer_copy_prompt(pilot, app, str(not_mbox))
        await copy_finished(pilot, app)
        assert app.main.mailbox.marks == set()
        assert any("Nothing was copied" in text and "is not an mbox" in text
                   for text in notices(seen))
        await pilot.press("q")
    assert not_mbox.read_text() == "my notes\n"
    assert mailbox.maildir.seen_message_ids() == set()  # nothing was read


@run_async
async def test_pipe_to_wc_shows_the_line_count(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 3)
        await go_to(pilot, app, 2)
        await pilot.press("vertical_line")
        await wait_until(pilot, lambda: isinstance(app.screen, PipePrompt), what="pipe prompt")
        await type_text(pilot, "wc -l")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PipeView)
                         and app.screen.result is not None, what="command finished")
        view = app.screen
        assert isinstance(view, PipeView)
        lines = server_copy(mailbox, message_id(2)).count(b"\n")
        assert [line.strip() for line in view.output] == [str(lines)]
        assert "exit status 0" in screen_text(app)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        # the same from the full view, with the bytes at hand; the command is offered again
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView)
                         and app.screen.message is not None, what="full view")
        await pilot.press("vertical_line")
        await wait_until(pilot, lambda: isinstance(app.screen, PipePrompt), what="pipe prompt")
        assert app.screen.query_one(Input).value == "wc -l"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PipeView)
                         and app.screen.result is not None, what="command finished")
        assert [line.strip() for line in app.screen.output] == [str(lines)]
        await pilot.press("q", "q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("q")


@run_async
async def test_save_marks_only_what_was_copied_and_names_what_was_not(
    mailbox, tmp_path: Path
) -> None:
    mailbox.maildir.deliver_many([make_message(0), make_message(1, body_lines=400),
                                  make_message(2)])
    seen: list[Message] = []
    app = PopuiApp(
        account=dovecot_account(mailbox, port="tls", max_message_size=4000),
        secrets=StaticSecret(mailbox.password), state_folder=tmp_path / "state",
        theme_dirs=[shipped_themes_dir()],
    )
    dest = tmp_path / "out/"
    async with app.run_test(size=(150, 30), message_hook=seen.append) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press("T")
        await pilot.press("s")
        await answer_copy_prompt(pilot, app, str(dest) + "/")
        await copy_finished(pilot, app)
        assert app.main.mailbox.marks == {row_of(app, 0).uid, row_of(app, 2).uid}
        report = next(text for text in notices(seen) if "Copied" in text)
        assert "Copied 2 messages" in report
        assert "1 of 3 could not be read:\n- Test message 00001: " in report
        assert "max_message_size" in report and "Only the copied ones were marked." in report
        await pilot.press("ctrl+c")
    assert set(maildir_copies(dest)) == {message_id(0), message_id(2)}
    assert mailbox.maildir.seen_message_ids() == {message_id(0), message_id(2)}


@run_async
async def test_a_collapsed_thread_is_tagged_and_copied_whole_and_tilde_t_finds_tags(
    mailbox, tmp_path: Path
) -> None:
    from test_app_reader import _thread, filter_with

    mailbox.maildir.deliver_many(_thread())  # a thread of five, and one unrelated message
    app = make_app(mailbox, tmp_path)
    dest = tmp_path / "thread.mbox"
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 6)
        lst = app.main.message_list
        await pilot.press("o", "t")
        await wait_until(pilot, lambda: lst.threaded, what="threaded")
        await pilot.press("j", "v")  # the thread's root, collapsed
        await wait_until(pilot, lambda: len(lst.view) == 2, what="collapsed")
        await pilot.press("C")  # nothing tagged: the collapsed thread, all of it
        prompt = await answer_copy_prompt(pilot, app, str(dest))
        assert "Copy 5 messages of this collapsed thread" in prompt
        await copy_finished(pilot, app)
        assert len(mbox_copies(dest)) == 5
        await pilot.press("k", "t")  # "Unrelated" is tagged alone
        await pilot.press("t")  # then the whole collapsed thread
        assert len(app.main.mailbox.tags) == 6
        await pilot.press("k", "t")  # untag "Unrelated"
        await pilot.press("V")
        await filter_with(pilot, "~T")
        await wait_until(pilot, lambda: len(lst.view) == 5, what="~T shows the tagged")
        assert {row.subject for row in lst.view} == {"Plans", "Re: Plans"}
        await pilot.press("ctrl+c")
