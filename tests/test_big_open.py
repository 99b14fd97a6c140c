"""Opening a big message (issue 9): the text shows first, the rest is built after it.

The full view shows the headers and the first screens of text as soon as they are decoded;
the whole text, the attachment list and (when asked for) the source follow, off the UI thread.
Nothing of what the view offers may be lost on the way: search, source, attachments.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
import textual.css.stylesheet
from app_support import HostApp, run_async, screen_text, wait_until
from engine_support import dovecot_account
from fault_server import PASSWORD, USER, fault_server
from mailbox_support import Driver
from textual.widgets import OptionList

import popui.screens
import popui.screens.message_view as message_view
from popui import messages as msg
from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.mail.message import KEEP_DECODED
from popui.mail.preview import FIRST_LINES_BUDGET, first_screens
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.events import MessageRetrieved, RetrieveFailed
from popui.pop3.requests import Retrieve
from popui.screens.message_view import BodyLog, MessageView, SearchInput
from popui.widgets.footer import Footer

FAR_WORD = "Xylophone-far-below"


def long_message(lines: int = 3000, attachments: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice Example <alice@example.org>"
    msg["To"] = "bob@example.org"
    msg["Subject"] = "The whole export"
    body = "".join(f"Row {i} of the export\n" for i in range(lines))
    msg.set_content(body + f"The end: {FAR_WORD}\n")
    for n in range(attachments):
        payload = bytes([n]) * (KEEP_DECODED + 1000 * n + 1)  # above: decoded when asked for
        msg.add_attachment(payload, maintype="application", subtype="pdf",
                           filename=f"part-{n}.pdf")
    return msg.as_bytes(policy=SMTP)


@pytest.fixture
def held_parse(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The whole-message parse waits until the test sets the event (the first lines do not)."""
    release = threading.Event()
    render = message_view.render

    def held(data: bytes, width: int | None = None) -> message_view.Rendered:
        release.wait(timeout=30)
        return render(data, width)

    monkeypatch.setattr(message_view, "render", held)
    yield release
    release.set()


async def open_view(pilot: Any, app: HostApp, raw: bytes) -> MessageView:
    view = MessageView("u1", len(raw), subject="The whole export")
    app.push_collect(view)
    await pilot.pause()
    assert view.show_message(MessageRetrieved("u1", raw))
    return view


def body_lines(view: MessageView) -> list[str]:
    return list(view.query_one("#mv-body", BodyLog).lines)


@run_async
async def test_the_first_lines_show_before_the_whole_message_is_parsed(
    held_parse: threading.Event,
) -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, long_message())
        await wait_until(pilot, lambda: "Row 0 of the export" in screen_text(app),
                         what="the first lines")
        assert view.rendered is None
        assert "The whole export" in screen_text(app)  # the headers too
        # mounted when first needed, not on the way to the first lines
        assert not view.query(OptionList) and not view.query(SearchInput)
        assert len(body_lines(view)) < 3000  # only the first screens so far
        held_parse.set()
        await wait_until(pilot, lambda: view.rendered is not None, what="the whole text")
        await pilot.pause()
        assert len(body_lines(view)) > 3000
        assert body_lines(view)[0] == "Row 0 of the export"


@run_async
async def test_a_search_made_before_the_whole_text_is_there_finds_text_far_below(
    held_parse: threading.Event,
) -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, long_message())
        await wait_until(pilot, lambda: view.first is not None, what="the first lines")
        view.search(FAR_WORD.lower())
        await pilot.pause()
        assert "searching" in screen_text(app)
        assert view.matches == []
        held_parse.set()
        await wait_until(pilot, lambda: view.matches != [], what="the match")
        await pilot.pause()
        assert view.matches == [3000]
        assert f"The end: {FAR_WORD}" in screen_text(app)  # scrolled down to it
        assert "match 1 of 1" in screen_text(app)


@run_async
async def test_keys_that_need_the_whole_message_say_so_until_it_is_there(
    held_parse: threading.Event,
) -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, long_message(lines=50, attachments=2))
        await wait_until(pilot, lambda: view.first is not None, what="the first lines")
        await pilot.press("a")
        await pilot.pause()
        assert any("Still reading" in n.message for n in app._notifications)
        assert not any("no attachments" in n.message for n in app._notifications)
        held_parse.set()
        await wait_until(pilot, lambda: view.rendered is not None, what="the whole message")
        await pilot.press("a")
        await pilot.pause()
        assert app.focused is view.query_one("#mv-attachments", OptionList)


@run_async
async def test_the_source_is_built_when_asked_for_and_is_the_whole_message() -> None:
    raw = long_message(lines=200, attachments=2)
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, raw)
        await wait_until(pilot, lambda: view.rendered is not None, what="the message")
        rendered = view.rendered
        assert rendered is not None and "source" not in rendered.__dict__  # not made yet
        await pilot.press("v")
        await wait_until(pilot, lambda: view.raw_mode, what="the source")
        await pilot.pause()
        source = raw.decode().replace("\r\n", "\n").split("\n")
        assert [line.strip() for line in body_lines(view)] == [line.strip() for line in source]
        assert "Subject: The whole export" in screen_text(app)
        await pilot.press("v")
        await wait_until(pilot, lambda: not view.raw_mode, what="the text again")
        await pilot.pause()
        assert body_lines(view)[0] == "Row 0 of the export"


@run_async
async def test_the_attachment_list_names_every_part_of_a_big_message() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, long_message(lines=20, attachments=3))
        await wait_until(pilot, lambda: view.rendered is not None, what="the message")
        await pilot.pause()
        options = view.query_one("#mv-attachments", OptionList)
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert [name.split()[0] for name in names] == ["part-0.pdf", "part-1.pdf", "part-2.pdf"]
        assert view.message is not None
        assert [len(a.data()) for a in view.message.attachments] == [
            KEEP_DECODED + 1, KEEP_DECODED + 1001, KEEP_DECODED + 2001]


@run_async
async def test_the_footer_is_built_once_the_first_lines_are_on_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building the footer's keys (a widget each) takes as long as the download: it waits for
    the first lines, and is done once (not again when the whole message is there)."""
    built: list[bool] = []
    recompose = Footer.recompose

    async def counted(self: Footer) -> None:
        if isinstance(self.screen, MessageView):
            built.append("Row 0 of the export" in screen_text(self.app))
        await recompose(self)

    monkeypatch.setattr(Footer, "recompose", counted)
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, long_message(lines=20, attachments=1))
        await wait_until(pilot, lambda: view.rendered is not None, what="the message")
        await pilot.pause()
        assert built == [True]
        assert "Attachments" in screen_text(app)  # the footer shows the view's keys


@run_async
async def test_a_slow_download_or_a_failure_shows_the_footer_without_the_text() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = MessageView("u1", 5_000_000, subject="The whole export")
        app.push_collect(view)
        await wait_until(pilot, lambda: "Retrieving" in screen_text(app), what="the view")
        assert "Next message" not in screen_text(app)
        await wait_until(pilot, lambda: "Next message" in screen_text(app), what="the footer")
        assert "Retrieving" in screen_text(app)  # still downloading
        app.pop_screen()
        view = MessageView("u2", 5_000_000, subject="The whole export")
        app.push_collect(view)
        await wait_until(pilot, lambda: "Retrieving" in screen_text(app), what="the view")
        assert "Next message" not in screen_text(app)
        assert view.show_failure(RetrieveFailed("u2", "The connection was lost."))
        await wait_until(pilot, lambda: "Next message" in screen_text(app), what="the footer")
        assert "connection was lost" in screen_text(app)


def test_the_first_lines_of_a_long_part_are_decoded_from_its_start_only() -> None:
    """The first screens come from the first ``FIRST_LINES_BUDGET`` bytes of a text part, cut
    as ``TOP`` would cut it: plain, base64 (cut mid-group) and quoted-printable alike."""
    lines = "".join(f"Row {i} of the export, café\n" for i in range(40_000))
    for cte in ("8bit", "base64", "quoted-printable"):
        msg = EmailMessage()
        msg["Subject"] = "The whole export"
        msg.set_content(lines, cte=cte)
        raw = msg.as_bytes(policy=SMTP)
        assert len(raw) > 3 * FIRST_LINES_BUDGET
        first = message_view.first_lines(first_screens(raw), 100)
        shown, _width = first.shown
        assert shown[:60] == [f"Row {i} of the export, café" for i in range(60)], cte
        assert first.preview.summary.subject == "The whole export"
        assert first.preview.notice is None



@run_async
async def test_the_first_enter_finds_the_view_code_loaded_and_the_styles_parsed(
    mailbox: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a preview is read, the full view's code is loaded (not at start-up, not on
    Enter), and Textual's parse cache is filled: on Enter only the view's own styles are
    parsed, not every style of the app again."""
    name = "popui.screens.message_view"
    monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(popui.screens, "message_view")
    parsed: list[object] = []
    parse = textual.css.stylesheet.parse

    def counted(scope: str, css: str, read_from: object, **kwargs: Any) -> Any:
        parsed.append((scope, read_from, kwargs.get("tie_breaker")))
        return parse(scope, css, read_from, **kwargs)

    monkeypatch.setattr(textual.css.stylesheet, "parse", counted)
    mailbox.fill(3)
    app = PopuiApp(account=dovecot_account(mailbox, port="tls"),
                   secrets=StaticSecret(mailbox.password), state_folder=tmp_path / "state")
    async with app.run_test(size=(150, 30)) as pilot:
        pane = app.main.preview
        await wait_until(pilot, lambda: pane.preview is not None, what="a preview")
        await wait_until(pilot, lambda: name in sys.modules, what="the view's code")
        before = set(parsed)
        parsed.clear()
        await pilot.press("enter")
        view_class = sys.modules[name].MessageView
        await wait_until(pilot, lambda: isinstance(app.screen, view_class)
                         and app.screen.message is not None, what="the full view")
        assert parsed  # the view's own styles
        assert not before & set(parsed)


@run_async
async def test_the_view_code_waits_until_the_rows_are_filled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading the full view's code (mail-parser) while rows fill would slow the fill: it waits
    for the last row."""
    name = "popui.screens.message_view"
    monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(popui.screens, "message_view")
    with fault_server("held", targets=("TOP",)) as server:  # no headers until released
        account = Account(name="f", host=server.host, port=server.port, security="none",
                          user=USER, auth="user", timeout=5.0)
        app = PopuiApp(account=account, secrets=StaticSecret(PASSWORD), state_folder=False)
        async with app.run_test(size=(150, 30)) as pilot:
            await wait_until(pilot, lambda: len(app.main.mailbox.rows) == 3, what="listed")
            app.main._prepare_full_view()  # as a preview or a highlighted row would
            await pilot.pause()
            assert name not in sys.modules and app.main.mailbox.loaded == 0
            server.released.set()
            await wait_until(pilot, lambda: app.main.mailbox.loaded == 3, what="filled")
            await wait_until(pilot, lambda: name in sys.modules, what="the view's code")


def test_the_mailbox_tells_the_first_lines_of_a_retrieved_message_just_before_it(
    mailbox: Any,
) -> None:
    """Made on the events thread: the full view shows them without parsing on its side."""
    raw = long_message()
    mailbox.maildir.deliver(raw)
    box = Mailbox(dovecot_account(mailbox, port="tls"))
    driver = Driver(box)
    try:
        box.connect(Credentials(password=mailbox.password))
        listing = driver.until(ev.Listing)
        uid = listing.messages[0].uid
        box.submit(Retrieve(uid))
        retrieved = driver.until(ev.MessageRetrieved)
        kinds = [type(e) for e in driver.seen]
        at = kinds.index(ev.MessageRetrieved)
        first = driver.seen[at - 1]
        assert isinstance(first, up.FirstLines) and first.uid == uid == retrieved.uid
        assert first.preview.summary.subject == "The whole export"
        assert first.preview.body_lines[:2] == ("Row 0 of the export", "Row 1 of the export")
    finally:
        box.stop()


@run_async
async def test_the_view_shows_the_first_lines_it_is_told_and_parses_only_the_whole(
    monkeypatch: pytest.MonkeyPatch, held_parse: threading.Event,
) -> None:
    scanned: list[bytes] = []
    first_screens_ = message_view.first_screens

    def counted(data: bytes) -> Any:
        scanned.append(data)
        return first_screens_(data)

    monkeypatch.setattr(message_view, "first_screens", counted)
    raw = long_message()
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = MessageView("u1", len(raw), subject="The whole export")
        app.push_collect(view)
        await pilot.pause()
        view.post_message(msg.FirstLines(up.FirstLines("u1", first_screens(raw))))
        view.post_message(msg.MessageRetrieved(ev.MessageRetrieved("u1", raw)))
        await wait_until(pilot, lambda: "Row 0 of the export" in screen_text(app),
                         what="the first lines")
        assert view.rendered is None
        held_parse.set()
        await wait_until(pilot, lambda: view.rendered is not None, what="the whole text")
        assert scanned == []
