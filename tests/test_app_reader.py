"""Issue 11 in the real app on the private Dovecot: patterns typed in the filter line, threads
drawn and folded, and the full view as a reader (next/previous, search, links, attachments)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from app_support import notices, run_async, screen_text, type_text, wait_until
from maildir import make_message, message_id
from test_app_flows import loaded, make_app
from textual.message import Message
from textual.pilot import Pilot

from popui.app import PopuiApp
from popui.screens.confirm_action import ConfirmAction
from popui.screens.link_picker import LinkPicker
from popui.screens.message_view import MessageView
from popui.widgets.filter_input import FilterBox


def status_text(app: PopuiApp) -> str:
    return str(app.main.status.render())


async def filter_with(pilot: Pilot, text: str) -> None:
    await pilot.press("slash", "ctrl+u")
    await type_text(pilot, text)
    await pilot.press("enter")


async def full_view(pilot: Pilot, app: PopuiApp, subject: str) -> MessageView:
    def shown() -> bool:
        screen = app.screen
        return (isinstance(screen, MessageView) and screen.message is not None
                and screen.message.summary.subject == subject)

    await wait_until(pilot, shown, what=f"full view of {subject!r}")
    assert isinstance(app.screen, MessageView)
    return app.screen


def body_of(view: MessageView) -> str:
    return "\n".join(view.query_one("#mv-body").lines)  # type: ignore[attr-defined]


# -- patterns ----------------------------------------------------------------------------------


def _mixed() -> list[EmailMessage]:
    specs = [
        ("Invoice March", "Alice <alice@shop.example>", 5),
        ("Lunch on Friday", "Bob <bob@team.example>", 5),
        ("Invoice April", "Bob <bob@team.example>", 5),
        ("Holiday photos", "Carol <carol@family.example>", 2000),
        ("Re: Lunch on Friday", "Alice <alice@shop.example>", 5),
        ("Newsletter", "News <news@list.example>", 5),
    ]
    return [make_message(i, subject=s, sender=f, body_lines=n) for i, (s, f, n) in
            enumerate(specs)]


@run_async
async def test_typed_patterns_show_n_of_m_and_a_bad_one_keeps_the_filter(
    mailbox, tmp_path: Path
) -> None:
    mailbox.maildir.deliver_many(_mixed())
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 6)
        lst = app.main.message_list
        cases = [
            ("~s invoice", {"Invoice March", "Invoice April"}),
            ("~f alice", {"Invoice March", "Re: Lunch on Friday"}),
            ("~f bob !~s invoice", {"Lunch on Friday"}),
            ("~s lunch | ~z >20K", {"Lunch on Friday", "Re: Lunch on Friday", "Holiday photos"}),
            ("~f (alice|carol)", {"Invoice March", "Re: Lunch on Friday", "Holiday photos"}),
            ("invoice bob", {"Invoice April"}),  # plain words keep their meaning
        ]
        for pattern, subjects in cases:
            await filter_with(pilot, pattern)
            await wait_until(pilot, lambda s=subjects: {r.subject for r in lst.view} == s,
                             what=pattern)
            assert f"{len(subjects)} of 6" in status_text(app), pattern
            assert f"/{pattern}" in status_text(app)

        # A malformed pattern: a sentence under the input, pointing at it; the filter stays.
        await filter_with(pilot, "~s (invoice")
        box = app.main.query_one(FilterBox)
        await wait_until(pilot, lambda: "^" in screen_text(app), what="error pointer")
        await pilot.pause()
        text = screen_text(app)

        assert "not a valid regular expression" in text
        assert "The filter in effect stays" in text
        assert {r.subject for r in lst.view} == {"Invoice April"}
        assert "1 of 6" in status_text(app)
        assert box.has_class("-shown")  # still open to fix it

        # History: up walks back through the filters applied.
        await pilot.press("ctrl+u", "up")
        assert app.main.filter_input.value == "invoice bob"
        await pilot.press("up")
        assert app.main.filter_input.value == "~f (alice|carol)"
        await pilot.press("escape")  # clears the filter
        await wait_until(pilot, lambda: len(lst.view) == 6, what="all shown")
        assert " of 6" not in status_text(app)

        # D marks what the filter shows.
        await filter_with(pilot, "~f alice")
        await pilot.press("D")
        marked = {app.main.mailbox.rows[key].subject for key in app.main.mailbox.marks}
        assert marked == {"Invoice March", "Re: Lunch on Friday"}
        await pilot.press("ctrl+c")
    assert len(mailbox.maildir.files()) == 6


@run_async
async def test_body_patterns_search_previews_and_say_what_they_could_not(
    mailbox, tmp_path: Path
) -> None:
    mailbox.fill(4)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 4)
        pane = app.main.preview
        first = app.main.message_list.current
        assert first is not None
        await wait_until(pilot, lambda: pane.uid == first.uid and pane.preview is not None,
                         what="preview")
        await wait_until(pilot, lambda: first.body is not None, what="preview text kept")
        await filter_with(pilot, "~b 'line 2 of message 3'")
        lst = app.main.message_list
        await wait_until(pilot, lambda: [r.subject for r in lst.view] == [first.subject],
                         what="body match")
        assert "1 of 4; 3 messages not searched (no body text here)" in status_text(app)
        await pilot.press("ctrl+c")
    assert mailbox.maildir.seen_files() == []


@run_async
async def test_body_patterns_search_the_text_of_opened_messages(mailbox, tmp_path: Path) -> None:
    mailbox.maildir.deliver_many([make_message(i, body_lines=60) for i in range(2)])
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 2)
        lst = app.main.message_list
        await filter_with(pilot, "~b 'line 50 of'")  # past what a preview fetches
        await wait_until(pilot, lambda: "0 of 2" in status_text(app), what="nothing yet")
        await pilot.press("escape", "enter")
        await full_view(pilot, app, "Test message 00001")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await filter_with(pilot, "~b 'line 50 of'")
        await wait_until(pilot, lambda: [r.subject for r in lst.view] == ["Test message 00001"],
                         what="the opened message matches")
        assert "1 of 2; 1 message not searched" in status_text(app)
        await pilot.press("q")


@run_async
async def test_named_filters_are_palette_entries(mailbox, tmp_path: Path) -> None:
    from popui.config import Settings, UiSettings

    mailbox.maildir.deliver_many(_mixed())
    settings = Settings(ui=UiSettings(filters={"big": "~z >20K"}))
    app = make_app(mailbox, tmp_path, settings=settings)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 6)
        entries = {title: cb for title, _, cb in app.main.palette_commands()}
        entries["Filter: big"]()
        await wait_until(pilot, lambda: [r.subject for r in app.main.message_list.view]
                         == ["Holiday photos"], what="named filter")
        assert "/~z >20K" in status_text(app)
        await pilot.press("ctrl+c")


# -- threads -----------------------------------------------------------------------------------


def _thread() -> list[EmailMessage]:
    """root <- a <- b, root <- c <- d, plus one unrelated message."""
    parents = {1: None, 2: 1, 3: 2, 4: 1, 5: 4}
    messages = []
    for i, parent in parents.items():
        subject = "Plans" if parent is None else "Re: Plans"
        msg = make_message(i, subject=subject)
        if parent is not None:
            chain = [message_id(1)]
            if parent != 1:
                chain.append(message_id(parent))
            msg["In-Reply-To"] = message_id(parent)
            msg["References"] = " ".join(chain)
        messages.append(msg)
    messages.append(make_message(9, subject="Unrelated"))
    return messages


@run_async
async def test_a_thread_of_five_renders_as_a_tree_collapses_and_marks_as_one(
    mailbox, tmp_path: Path
) -> None:
    mailbox.maildir.deliver_many(_thread())
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 6)
        lst = app.main.message_list
        await pilot.press("o", "t")
        await wait_until(pilot, lambda: lst.threaded, what="threaded")
        order = [r.subject for r in lst.view]
        assert order == ["Unrelated", "Plans", "Re: Plans", "Re: Plans", "Re: Plans",
                         "Re: Plans"]
        await wait_until(pilot, lambda: "└─>" in screen_text(app), what="tree drawn")
        text = screen_text(app)
        assert len([line for line in text.splitlines() if "─>" in line]) == 4, text
        assert "├─>" in text and "│ └─>" in text and "  └─>" in text

        await pilot.press("j")  # the thread's root
        assert lst.current is not None and lst.current.subject == "Plans"
        await pilot.press("v")
        await wait_until(pilot, lambda: len(lst.view) == 2, what="collapsed")
        assert lst.collapsed_count(lst.current.uid) == 5
        assert "(5) Plans" in screen_text(app)

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), what="dialog")
        assert "Mark the 5 messages of this collapsed thread" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.main.mailbox.marks) == 5, what="5 marks")
        assert {app.main.mailbox.rows[k].subject for k in app.main.mailbox.marks} == {
            "Plans", "Re: Plans"}

        await pilot.press("V")  # everything expanded again
        await wait_until(pilot, lambda: len(lst.view) == 6, what="expanded")
        await pilot.press("ctrl+c")
    assert len(mailbox.maildir.files()) == 6


# -- the full view -----------------------------------------------------------------------------


@run_async
async def test_next_and_previous_from_the_full_view(mailbox, tmp_path: Path) -> None:
    mailbox.fill(3)
    app = make_app(mailbox, tmp_path)
    messages: list[Message] = []
    async with app.run_test(size=(150, 30), message_hook=messages.append) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press("enter")  # newest first: message 2
        await full_view(pilot, app, "Test message 00002")
        await pilot.press("j")
        view = await full_view(pilot, app, "Test message 00001")
        assert "Line 4 of message 1." in body_of(view)
        warnings = [n for n in notices(messages) if "RETR" in n]
        assert len(warnings) == 1 and "marks each message you open this way seen" in warnings[0]
        await pilot.press("J")
        await full_view(pilot, app, "Test message 00000")
        await pilot.press("k")
        await full_view(pilot, app, "Test message 00001")
        assert app.main.message_list.current is not None
        assert app.main.message_list.current.subject == "Test message 00001"
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        assert len([n for n in notices(messages) if "RETR" in n]) == 1  # said once
        await pilot.press("q")
    assert mailbox.maildir.seen_message_ids() == {message_id(i) for i in range(3)}


@run_async
async def test_search_in_the_body_highlights_and_steps(mailbox, tmp_path: Path) -> None:
    mailbox.maildir.deliver(make_message(0, body_lines=60))
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 30)) as pilot:
        await loaded(pilot, app, 1)
        await pilot.press("enter")
        view = await full_view(pilot, app, "Test message 00000")
        await pilot.press("slash")
        await type_text(pilot, "line 5")
        await pilot.press("enter")
        # "Line 5", "Line 50" .. "Line 59": 11 lines
        await wait_until(pilot, lambda: len(view.matches) == 11, what="matches")
        assert "match 1 of 11" in screen_text(app)
        body = view.query_one("#mv-body")
        await pilot.press("n", "n")
        assert view.match_index == 2
        assert "match 3 of 11" in screen_text(app)
        await wait_until(pilot, lambda: body.scroll_y > 0, what="scrolled to the match")
        await pilot.press("N")
        assert "match 2 of 11" in screen_text(app)
        # the matches are highlighted (reverse video / the current one in yellow)
        strips = [body.render_line(y) for y in range(body.size.height)]
        styled = [seg for strip in strips for seg in strip
                  if "ine 5" in seg.text and seg.style and (seg.style.reverse
                                                             or seg.style.bgcolor)]
        assert styled
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("q")


def _phishing() -> EmailMessage:
    msg = make_message(0, subject="Your account")
    msg.set_content("Log in at https://mybank.example/login today.\n")
    msg.add_alternative(
        '<p>Please <a href="https://mybank.example.evil.test/steal">'
        "https://www.mybank.example/login</a> and "
        '<a href="https://mybank.example/help">help</a></p>',
        subtype="html",
    )
    return msg


@run_async
async def test_the_url_picker_shows_where_a_hostile_link_really_goes(
    mailbox, tmp_path: Path
) -> None:
    mailbox.maildir.deliver(_phishing())
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 40)) as pilot:
        await loaded(pilot, app, 1)
        await pilot.press("enter")
        await full_view(pilot, app, "Your account")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkPicker), what="picker")
        await pilot.pause()
        text = screen_text(app)
        assert "3 links" in text
        assert "→ https://mybank.example.evil.test/steal" in text
        assert "shows www.mybank.example but goes to mybank.example.evil.test" in text
        assert "→ https://mybank.example/help" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageView), what="closed")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("q")


def _with_attached_message() -> EmailMessage:
    inner = make_message(5, subject="The forwarded one")
    inner.set_content("Inner text line.\n")
    outer = make_message(0, subject="Fwd: see below")
    outer.set_content("Forwarding this.\n")
    outer.add_attachment(inner)
    outer.add_attachment(b"notes\n", maintype="text", subtype="plain", filename="notes.txt")
    return outer


@run_async
async def test_an_attached_message_opens_nested_and_text_parts_inline(
    mailbox, tmp_path: Path
) -> None:
    raw = _with_attached_message().as_bytes(policy=SMTP)
    mailbox.maildir.deliver(raw)
    app = make_app(mailbox, tmp_path)
    async with app.run_test(size=(150, 40)) as pilot:
        await loaded(pilot, app, 1)
        await pilot.press("enter")
        outer = await full_view(pilot, app, "Fwd: see below")
        assert outer.message is not None and len(outer.message.attachments) == 2
        await pilot.press("a", "enter")
        inner = await full_view(pilot, app, "The forwarded one")
        assert inner is not outer and inner.nested
        assert "Inner text line." in body_of(inner)
        await pilot.press("j")  # no next message from an attached one
        assert app.screen is inner
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is outer, what="back to the outer message")
        await pilot.press("a", "down", "enter")
        notes = await full_view(pilot, app, "notes.txt")
        assert "notes" in body_of(notes)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is outer, what="back again")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the list")
        await pilot.press("q")
