"""The row model and the Line-API message list widget (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from app_support import run_async, wait_until
from hypothesis import example, given
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from popui.mail.headers import HeaderSummary, SummaryRow, summarize_headers
from popui.rows import Row, RowFilter, filter_rows, format_date, next_sort, sort_rows
from popui.sizes import human_size
from popui.themes import mail_variable_defaults
from popui.widgets.message_list import MessageList

CET = timezone(timedelta(hours=1))
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=CET)


def summary_row(**fields: object) -> SummaryRow:
    """A parsed summary in the compact form rows are filled from."""
    return HeaderSummary(**fields).to_row()  # type: ignore[arg-type]


def row(number: int, size: int = 1000, **summary: object) -> Row:
    r = Row(number, f"u{number}", size)
    if summary:
        r.fill_row(summary_row(**summary))
    return r


# -- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (999, "999B"), (1000, "1.0K"), (4300, "4.2K"), (38_000, "37K"),
     (5 * 1024**2 + 100_000, "5.1M"), (900 * 1024**2, "900M"), (3 * 1024**3, "3.0G")],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_format_date_today_year_older_in_local_zone() -> None:
    # 23:30 UTC on the 14th is 00:30 on the 15th in CET: today, shown as a time.
    assert format_date(datetime(2024, 6, 14, 23, 30, tzinfo=UTC), NOW) == "00:30"
    assert format_date(datetime(2024, 3, 2, 8, 0, tzinfo=CET), NOW) == "02 Mar"
    assert format_date(datetime(2021, 3, 2, 8, 0, tzinfo=CET), NOW) == "2021-03-02"
    assert format_date(None, NOW) == ""


# -- sorting and filtering -----------------------------------------------------------------


def test_sort_by_date_newest_first_and_undated_last() -> None:
    rows = [
        row(1, date=datetime(2024, 1, 1, tzinfo=UTC)),
        row(2, date=datetime(2024, 5, 1, tzinfo=UTC)),
        row(3),  # headers not loaded yet
        row(4, date=datetime(2023, 1, 1, tzinfo=UTC)),
    ]
    assert [r.number for r in sort_rows(rows, "date")] == [2, 1, 4, 3]
    assert [r.number for r in sort_rows(rows, "date", reverse=True)] == [3, 4, 1, 2]


def test_sort_by_sender_subject_size() -> None:
    rows = [
        row(1, 50, subject="Re: zebra", from_name="bob"),
        row(2, 900, subject="apple", from_name="Alice"),
        row(3, 10, subject="Fwd: Mango", from_name="carol"),
    ]
    assert [r.number for r in sort_rows(rows, "sender")] == [2, 1, 3]
    assert [r.number for r in sort_rows(rows, "subject")] == [2, 3, 1]  # prefixes ignored
    assert [r.number for r in sort_rows(rows, "size")] == [2, 1, 3]  # biggest first
    assert next_sort("date") == "sender" and next_sort("number") == "thread"
    assert next_sort("thread") == "date"


def test_filter_words_match_sender_or_subject_all_words() -> None:
    rows = [
        row(1, subject="Invoice March", from_name="ACME Billing", from_addr="bill@acme.test"),
        row(2, subject="Lunch?", from_name="Bob", from_addr="bob@example.test"),
        row(3, subject="invoice copy", from_name="Bob", from_addr="bob@example.test"),
    ]
    assert [r.number for r in filter_rows(rows, "invoice")] == [1, 3]
    assert [r.number for r in filter_rows(rows, "invoice bob")] == [3]
    assert [r.number for r in filter_rows(rows, "acme.test")] == [1]
    assert [r.number for r in filter_rows(rows, "")] == [1, 2, 3]


def test_size_filters() -> None:
    rows = [row(1, 100), row(2, 6 * 1024**2), row(3, 20 * 1024), row(4, 5 * 1024**2)]
    assert [r.number for r in filter_rows(rows, ">5M")] == [2]
    assert [r.number for r in filter_rows(rows, ">=5M")] == [2, 4]
    assert [r.number for r in filter_rows(rows, "<10k")] == [1]
    assert [r.number for r in filter_rows(rows, ">1k <1MB")] == [3]
    assert RowFilter.parse(">5M foo").words == ("foo",)
    # A bound too big for a float (typed or pasted) is just big, not an OverflowError.
    assert filter_rows(rows, "<" + "9" * 400 + "T") == rows
    assert filter_rows(rows, ">" + "9" * 400) == []
    assert [r.number for r in filter_rows(rows, ">4.5M")] == [2, 4]


def test_rows_show_untrusted_header_text_cleaned() -> None:
    """Rows take summaries as they are (`Row.fill_row`): the summariser cleans them."""
    r = Row(1, "u1", 10)
    r.fill_row(summarize_headers("Subject: \x1b[2Jboom\x07\r\n"
                                 "From: Eve\u202etxt.exe <e@x.example>\r\n\r\n".encode()).to_row())
    assert "\x1b" not in r.subject and "\x07" not in r.subject
    assert "\u202e" not in r.sender
    assert "boom" in r.subject


# -- the widget --------------------------------------------------------------------------------


class ListApp(App[None]):
    def __init__(self, rows: list[Row], marks: set[str]) -> None:
        super().__init__()
        self.rows = rows
        self.marks = marks
        self.seen: list[object] = []
        self.visible_uids: list[tuple[str, ...]] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return mail_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield MessageList(marks=self.marks, clock=lambda: NOW, visible_debounce=0.01)

    def on_mount(self) -> None:
        widget = self.query_one(MessageList)
        widget.set_rows({row.uid: row for row in self.rows})
        widget.focus()

    def on_message_list_visible_changed(self, event: MessageList.VisibleChanged) -> None:
        self.visible_uids.append(event.uids)

    def on_message_list_highlighted(self, event: MessageList.Highlighted) -> None:
        self.seen.append(("highlighted", event.uid))


def line_text(widget: MessageList, y: int) -> str:
    return widget.render_line(y).text


def many_rows(count: int) -> list[Row]:
    rows = [Row(n, f"u{n}", n * 10) for n in range(1, count + 1)]
    for r in rows:
        r.fill_row(summary_row(subject=f"subject {r.number}", from_name=f"sender {r.number}",
                       date=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=r.number)))
    return rows


@run_async
async def test_renders_only_visible_rows_newest_first_and_pads_lines() -> None:
    app = ListApp(many_rows(5000), set())
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(MessageList)
        await pilot.pause()
        assert widget.virtual_size.height == 5000
        first = line_text(widget, 0)
        assert "5000" in first and "subject 5000" in first and "sender 5000" in first
        assert "49K" in first  # 50,000 bytes
        width = widget.scrollable_content_region.width
        assert all(widget.render_line(y).cell_length == width for y in range(20))


@run_async
async def test_cursor_keys_marks_and_page_down() -> None:
    marks = set()
    app = ListApp(many_rows(500), marks)
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(MessageList)
        await pilot.pause()
        widget.cursor_down()
        assert widget.current is not None and widget.current.number == 499
        marks.add(widget.current.uid)
        widget.refresh_rows([widget.current.uid])
        assert line_text(widget, 1).startswith("D")
        assert not line_text(widget, 0).startswith("D")
        widget.page_down()
        assert widget.cursor == 1 + widget.page_height
        assert widget.scroll_y > 0
        top = round(widget.scroll_y)
        assert top <= widget.cursor < top + widget.page_height
        widget.cursor_last()
        assert widget.current is not None and widget.current.number == 1
        await wait_until(pilot, lambda: ("highlighted", "u1") in app.seen, what="highlight")


@run_async
async def test_visible_rows_are_reported_after_scrolling() -> None:
    app = ListApp(many_rows(1000), set())
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(MessageList)
        await wait_until(pilot, lambda: app.visible_uids and "u1000" in app.visible_uids[-1],
                         what="first page reported")
        assert len(app.visible_uids[-1]) == 2 * widget.page_height  # this page and the next
        widget.cursor_last()
        await wait_until(pilot, lambda: "u1" in app.visible_uids[-1], what="last page reported")
        assert "u1000" not in app.visible_uids[-1]


@run_async
async def test_filter_and_sort_keep_the_cursor_message() -> None:
    app = ListApp(many_rows(50), set())
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(MessageList)
        await pilot.pause()
        widget.move_to_uid("u7")
        widget.set_filter("subject 7")  # 7, 17, 27, 37, 47
        assert sorted(r.number for r in widget.view) == [7, 17, 27, 37, 47]
        assert widget.current is not None and widget.current.uid == "u7"
        widget.set_sort("number", reverse=True)
        assert [r.number for r in widget.view] == [7, 17, 27, 37, 47]
        assert widget.current is not None and widget.current.uid == "u7"
        widget.set_filter("")
        assert len(widget.view) == 50


@run_async
async def test_hostile_subject_is_literal_text() -> None:
    hostile = Row(1, "u1", 10)
    hostile.fill_row(summarize_headers(b"Subject: [@click=app.quit]x[/] [b]bold\x1b]52;c;aGk=\x07"
                                       b"\r\nFrom: [red]Mallory <m@x.example>\r\n\r\n").to_row())
    app = ListApp([hostile], set())
    async with app.run_test(size=(120, 10)) as pilot:
        widget = app.query_one(MessageList)
        await pilot.pause()
        strip = widget.render_line(0)
        assert "[@click=app.quit]x[/] [b]bold" in strip.text
        assert "[red]Mallory" in strip.text
        assert "\x1b" not in strip.text and "\x07" not in strip.text
        assert all(segment.style is None or not segment.style.meta for segment in strip)
        await pilot.click(MessageList, offset=(40, 0))
        await pilot.pause()
        assert app.is_running


@run_async
async def test_after_midnight_todays_times_become_dates() -> None:
    now = [NOW]
    app = ListApp([row(1, date=NOW - timedelta(hours=1), subject="late")], set())
    async with app.run_test(size=(100, 10)) as pilot:
        widget = app.query_one(MessageList)
        widget.clock = lambda: now[0]
        await pilot.pause()
        assert "11:00" in line_text(widget, 0)
        now[0] = NOW + timedelta(days=1)
        widget.roll_day()
        await pilot.pause()
        assert "11:00" not in line_text(widget, 0)
        assert "15 Jun" in line_text(widget, 0)


# -- threads -------------------------------------------------------------------------------------


def threaded_rows(threads: int) -> list[Row]:
    """``threads`` threads of three: a root, a reply, a reply to the reply."""
    rows = []
    for t in range(threads):
        ids = [f"<t{t}m{k}@x>" for k in range(3)]
        for k in range(3):
            n = len(rows) + 1
            r = Row(n, f"u{n}", 100)
            r.fill_row(summary_row(subject=("Re: " if k else "") + f"thread {t}",
                           date=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n),
                           message_id=ids[k], in_reply_to=ids[k - 1] if k else "",
                           references=tuple(ids[:k])))
            rows.append(r)
    return rows


@run_async
async def test_big_lists_are_threaded_in_a_worker_and_keep_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import popui.widgets.message_list as module

    monkeypatch.setattr(module, "THREAD_INLINE_LIMIT", 10)
    app = ListApp(threaded_rows(20), set())
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(MessageList)
        await pilot.pause()
        widget.move_to_uid("u33")  # thread 10's reply to the reply
        widget.set_sort("thread")
        assert not widget.threaded  # 60 rows > 10: by date until the worker is done
        assert [r.uid for r in widget.view[:2]] == ["u60", "u59"]
        await wait_until(pilot, lambda: widget.threaded, what="threads")
        assert [r.uid for r in widget.view[:3]] == ["u58", "u59", "u60"]  # newest thread first
        assert widget.current is not None and widget.current.uid == "u33"
        widget.scroll_to(y=0, animate=False, immediate=True)
        assert "  └─>  " in line_text(widget, 2)  # the same subject is not repeated (mutt)
        assert " └─>  " in line_text(widget, 1) and "thread" not in line_text(widget, 1)
        assert "─>" not in line_text(widget, 0) and "thread 19" in line_text(widget, 0)
        assert widget.toggle_thread()  # the cursor's thread folds to its root
        assert widget.current is not None and widget.current.uid == "u31"
        assert widget.collapsed_count("u31") == 3
        assert [r.uid for r in widget.thread_of("u31")] == ["u31", "u32", "u33"]
        await pilot.pause()
        assert "(3) thread 10" in line_text(widget, widget.cursor - round(widget.scroll_y))
        assert widget.toggle_all_threads()  # some folded: all unfold
        assert len(widget.view) == 60
        assert widget.toggle_all_threads()
        assert len(widget.view) == 20
        widget.set_filter("~s 'thread 1'")  # threads of the filtered rows only
        await wait_until(pilot, lambda: widget.threaded, what="threads of the filtered rows")
        assert {r.subject.removeprefix("Re: ") for r in widget.view} == {
            "thread 1", *(f"thread {n}" for n in range(10, 20))}


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1900, 1, 2),
                    max_value=datetime(2200, 1, 1)))
@example(datetime(1986, 4, 27, 2, 30, tzinfo=ZoneInfo("America/Adak")))  # a skipped hour
def test_a_rows_sort_stamp_is_its_dates_timestamp(date: datetime) -> None:
    """Rows sort by a stamp computed once at fill time; it must order as the dates do."""
    row = Row(1, "u", 10)
    row.set_date(date)
    assert row.stamp == pytest.approx(date.timestamp(), abs=1e-6)
    shown = row.date  # made from the stamp: the same instant, in the date's own zone (a time
    # a DST change skipped reads as the instant it stands for: 02:30 -> 03:30)
    assert shown is not None and shown.tzinfo is date.tzinfo
    assert shown.timestamp() == pytest.approx(date.timestamp(), abs=1e-6)
    other = Row(2, "v", 10)
    other.set_date(date)
    assert other.stamp == row.stamp
    other.set_date(None)
    assert other.stamp == float("-inf")


_REFERENCE_SORTS = {  # the orders as (key, number) tuples say them, newest first on ties
    "date": (lambda r: (r.stamp, r.number), True),
    "thread": (lambda r: (r.stamp, r.number), True),
    "number": (lambda r: r.number, True),
    "size": (lambda r: (r.size, r.number), True),
    "sender": (lambda r: (r.sender.casefold(), -r.number), False),
    "subject": (lambda r: (r.subject.removeprefix("Re: ").casefold(), -r.number), False),
}


@given(st.lists(st.tuples(st.sampled_from([float("-inf"), 1.0e9, 1.5e9, 1.7e9]),
                          st.integers(0, 3), st.sampled_from(["ann", "Bob", "bob", ""]),
                          st.sampled_from(["x", "Re: x", "y", "Re: Y"])), max_size=40),
       st.sampled_from(sorted(_REFERENCE_SORTS)), st.booleans())
def test_sorting_orders_as_key_then_newest_on_ties(
        specs: list[tuple[float, int, str, str]], key: str, reverse: bool) -> None:
    rows = []
    for number, (stamp, size, sender, subject) in enumerate(specs, 1):
        r = Row(number, f"u{number}", size, subject=subject, sender=sender, stamp=stamp)
        rows.append(r)
    func, descending = _REFERENCE_SORTS[key]
    expected = sorted(rows, key=func, reverse=descending != reverse)
    shuffled = rows[::2] + rows[1::2]  # the input's order must not matter
    assert [r.number for r in sort_rows(shuffled, key, reverse)] == [r.number for r in expected]


def test_a_damaged_compact_summary_raises_and_leaves_the_row_as_it_was() -> None:
    """What a damaged cache file could hold: nothing of it reaches the row."""
    good = summary_row(subject="kept", message_id="<kept@x>",
                       date=datetime(2024, 1, 1, tzinfo=UTC))
    r = Row(1, "u1", 10)
    r.fill_row(good)
    before = (r.subject, r.message_id, r.stamp, r.version)
    for damaged in ((*good[:5], 10**13, *good[6:]),  # a date no clock shows
                    (*good[:6], 90_000, *good[7:]),  # an offset past a day
                    (None, *good[1:]),  # no text for the subject
                    (*good[:7], None, *good[8:])):  # no text for the Message-ID
        with pytest.raises((TypeError, ValueError)):
            r.fill_row(damaged)
        assert (r.subject, r.message_id, r.stamp, r.version) == before
