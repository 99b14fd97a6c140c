"""The hostile corpus (`make_corpus.py`, `tests/data/README.md`) through the real app on Dovecot.

Every message is delivered into a Dovecot mailbox; the app lists it, previews it (TOP) and opens
it in the full view (RETR), with all headers and the source view too. After every step:

- no worker error dialog, no traceback, the app still running;
- the bytes the app wrote to the terminal hold only the escape sequences Textual itself uses
  (colours, cursor moves, pointer shape): none of the mail's clear-screen, title, OSC 52
  clipboard, OSC 8 link, device reports, C0/C1 controls, bidi or zero-width characters;
- no mail text became markup: no clickable action and no link anywhere on the screen.

Also: saving the attachments with hostile names writes only inside the chosen folder, and
parsing the 20 MB attachment stays within a memory bound.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest
from app_support import run_async, wait_until
from engine_support import dovecot_account
from make_corpus import big_case, iter_corpus
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot
from textual.widgets import Input

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.mail.message import parse_message
from popui.screens.confirm import ErrorDialog
from popui.screens.message_view import MessageView, SaveFolderDialog

#: what Textual itself writes: SGR colours, cursor positioning, cursor/sync modes, pointer shape
TEXTUAL_SEQUENCES = re.compile(
    r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H|\x1b\[\?(?:25|1049|2026)[hl]|\x1b\]22;[a-z-]+\x07"
)
#: the only actions Textual itself puts on screen here: dragging a scrollbar
SCROLLBAR_ACTIONS = {
    (event, action) for event in ("@mouse.down", "@mouse.up")
    for action in ("grab", "release", "scroll_up", "scroll_down", "scroll_left", "scroll_right")
}
BIDI_AND_INVISIBLE = set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff"
)


def unsafe(text: str) -> set[str]:
    """Control, bidi and invisible characters in ``text`` (newlines allowed)."""
    return {
        c for c in set(text)
        if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c in BIDI_AND_INVISIBLE
    }


class CapturingDriver(HeadlessDriver):
    """The headless driver, except that the app renders to it and every byte is kept."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.output: list[str] = []
        self.checked = 0

    @property
    def is_headless(self) -> bool:
        return False  # so the app really renders and writes, as to a terminal

    def write(self, data: str) -> None:
        self.output.append(data)

    def new_output(self) -> str:
        text = "".join(self.output[self.checked :])
        self.checked = len(self.output)
        return text


def make_app(user, tmp_path: Path) -> PopuiApp:
    app = PopuiApp(account=dovecot_account(user, port="tls"), secrets=StaticSecret(user.password),
                   state_folder=tmp_path / "state")
    app.driver_class = CapturingDriver
    return app


def check(app: PopuiApp, where: str) -> None:
    """Everything the user could see or the terminal could act on is inert."""
    assert app.is_running, f"{where}: the app stopped"
    assert not isinstance(app.screen, ErrorDialog), f"{where}: {app.screen}"
    driver = app._driver
    assert isinstance(driver, CapturingDriver)
    written = driver.new_output()
    leftover = TEXTUAL_SEQUENCES.sub("", written)
    assert not unsafe(leftover), f"{where}: the terminal got {sorted(unsafe(leftover))!r}"
    lines = []
    for strip in app.screen._compositor.render_strips():
        lines.append(strip.text)
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            assert not style.link, f"{where}: a link {style.link!r} on {segment.text!r}"
            if style._meta:
                actions = {k: v for k, v in style.meta.items()
                           if k.startswith("@") and (k, v) not in SCROLLBAR_ACTIONS}
                assert not actions, f"{where}: an action {actions} on {segment.text!r}"
    text = "\n".join(lines)
    assert not unsafe(text) and "Traceback" not in text, f"{where}: {text[:300]!r}"


async def loaded(pilot: Pilot, app: PopuiApp, count: int, timeout: float = 20) -> None:
    def done() -> bool:
        status = app.main.status.status
        return status.state == "connected" and status.total == count == status.loaded

    await wait_until(pilot, done, timeout, f"{count} rows with headers")


async def preview_current(pilot: Pilot, app: PopuiApp, timeout: float = 10) -> str:
    row = app.main.message_list.current
    assert row is not None
    pane = app.main.preview
    await wait_until(pilot, lambda: pane.uid == row.uid and (
        pane.preview is not None or pane.has_class("-failed")), timeout, f"preview of {row.uid}")
    assert pane.preview is not None, f"preview of {row.subject!r} failed"
    return row.uid


async def open_current(pilot: Pilot, app: PopuiApp, timeout: float = 10) -> MessageView:
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, MessageView) and (
        app.screen.message is not None or app.screen.has_class("-error")), timeout, "full view")
    view = app.screen
    assert isinstance(view, MessageView) and view.message is not None
    return view


async def visit_every_view(pilot: Pilot, app: PopuiApp, where: str) -> None:
    """The full view, all headers, the source, back to the list: checked at each step."""
    view = await open_current(pilot, app)
    await pilot.pause()
    check(app, f"{where} full view")
    await pilot.press("h")
    await pilot.pause()
    check(app, f"{where} all headers")
    await pilot.press("v")
    await pilot.pause()
    check(app, f"{where} source")
    assert view.raw_mode
    await pilot.press("escape")
    await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")


CORPUS = list(iter_corpus())


@run_async
async def test_every_corpus_message_in_list_preview_and_full_view(mailbox, tmp_path: Path) -> None:
    for _name, raw, _description in CORPUS:
        mailbox.maildir.deliver(raw)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(headless=False, size=(140, 40)) as pilot:
        await loaded(pilot, app, len(CORPUS))
        check(app, "list")
        seen: set[str] = set()
        for index in range(len(CORPUS)):
            if index:
                await pilot.press("j")
            uid = await preview_current(pilot, app)
            seen.add(uid)
            await pilot.pause()
            check(app, f"preview of row {index}")
            await visit_every_view(pilot, app, f"row {index}")
        assert len(seen) == len(CORPUS)
        await app.action_quit_now()
    assert app._exception is None
    assert len(mailbox.maildir.files()) == len(CORPUS)


@run_async
async def test_saving_hostile_attachment_names_stays_in_the_folder(
    mailbox, tmp_path: Path
) -> None:
    raw = next(raw for name, raw, _ in CORPUS if name == "attachment_paths")
    mailbox.maildir.deliver(raw)
    folder = tmp_path / "out" / "chosen"
    app = make_app(mailbox, tmp_path / "app")
    async with app.run_test(headless=False, size=(140, 40)) as pilot:
        await loaded(pilot, app, 1)
        await preview_current(pilot, app)
        view = await open_current(pilot, app)
        count = len(view.message.attachments)
        assert count == 9
        await pilot.press("W")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFolderDialog), what="dialog")
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(view.saved_paths) == count, what="saved")
        check(app, "after saving")
        await app.action_quit_now()
    written = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == sorted(view.saved_paths)
    assert all(p.parent == folder.resolve() for p in written)
    assert not Path("/abs/path").exists()
    assert len({p.name for p in written}) == count  # the two "passwd"-like names did not clash


@pytest.mark.parametrize("name", ["big_body_5mb", "big_lines_200k", "big_nesting_100",
                                  "big_nesting_1500", "big_parts_5000", "big_attachment_20mb"])
@run_async
async def test_big_message_through_the_app(mailbox, tmp_path: Path, name: str) -> None:
    mailbox.maildir.deliver(big_case(name))
    app = make_app(mailbox, tmp_path)
    async with app.run_test(headless=False, size=(140, 40)) as pilot:
        await loaded(pilot, app, 1)
        await preview_current(pilot, app)
        await pilot.pause()
        check(app, f"{name} preview")
        await visit_every_view(pilot, app, name)
        await app.action_quit_now()
    assert app._exception is None


def test_parsing_the_20mb_attachment_stays_bounded() -> None:
    raw = big_case("big_attachment_20mb")
    tracemalloc.start()
    try:
        start = time.perf_counter()
        parsed = parse_message(raw)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.attachments[0].size == 20_000_000
    # Linear in the message size: the stdlib MIME parser needs about 8x while building the tree.
    assert peak < 10 * len(raw), f"peak {peak / 1e6:.0f} MB for a {len(raw) / 1e6:.0f} MB message"
    assert elapsed < 30


AGREEMENT = ("boundary_never_used", "toplevel_rfc822", "no_blank_after_headers",
             "inline_text_with_filename", "utf8_stray_byte", "iso2022jp_nec_extensions")


@run_async
async def test_the_preview_pane_and_the_full_view_show_the_same_body(
    mailbox, tmp_path: Path,
) -> None:
    corpus = {name: raw for name, raw, _ in CORPUS}
    for name in AGREEMENT:
        mailbox.maildir.deliver(corpus[name])
    app = make_app(mailbox, tmp_path)
    async with app.run_test(headless=False, size=(140, 40)) as pilot:
        await loaded(pilot, app, len(AGREEMENT))
        for index in range(len(AGREEMENT)):
            if index:
                await pilot.press("j")
            await preview_current(pilot, app)
            preview = app.main.preview.preview
            assert preview is not None and preview.body_lines, app.main.message_list.current
            view = await open_current(pilot, app)
            assert view.message is not None
            assert preview.body_lines == tuple(view.message.text.rstrip("\n").split("\n"))
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        await app.action_quit_now()
