"""The message list: a Line-API ``ScrollView`` that paints only the rows on screen.

100,000 rows cost a list of small objects and nothing per row up front; each visible line is
rendered on demand into a ``Strip`` and cached (keyed by everything that changes its look), so
scrolling back over seen rows is a dictionary hit. Colours come from component classes, so
themes and CSS apply.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.worker import get_current_worker

from popui.filtering import Filtered, filter_rows
from popui.patterns import Pattern, compile_pattern
from popui.rows import Row, format_date, sort_rows
from popui.sizes import human_size
from popui.threads import ThreadLine, collapse, thread_lines, thread_members

#: Up to this many rows are threaded at once on the UI thread (a few ms); more in a worker
#: (100,000 rows take about a second).
THREAD_INLINE_LIMIT = 3000


def _local_now() -> datetime:
    return datetime.now().astimezone()


#: the flag cells: D marked for deletion, * tagged, N never opened here
FLAGS = 3


@dataclass(frozen=True)
class Columns:
    """Cell widths of the variable columns; the row is flags(3) gap number gap date gap sender
    gap subject gap attachment(1) size(6) gap."""

    number: int
    date: int
    sender: int
    subject: int

    def spans(self) -> dict[str, tuple[int, int]]:
        """``sort key -> (start cell, width)`` of the sortable columns."""
        number = FLAGS + 1
        date = number + self.number + 1
        sender = date + self.date + 1
        subject = sender + self.sender + 1
        size = subject + self.subject + 1
        return {
            "number": (number, self.number),
            "date": (date, self.date),
            "sender": (sender, self.sender),
            "subject": (subject, self.subject),
            "size": (size, 7),
        }


class MessageList(ScrollView, can_focus=True, inherit_bindings=False):
    """One line per message: mark, opened marker, number, date, sender, subject, size."""

    ALLOW_SELECT = False
    """A double-click opens the message; it does not select the list's text."""

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--marked",
        "message-list--unread",
        "message-list--opened",
        "message-list--pending",
        "message-list--error",
        "message-list--number",
        "message-list--date",
        "message-list--sender",
        "message-list--size",
        "message-list--flag",
        "message-list--tagged",
    }

    DEFAULT_CSS = """
    MessageList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        background: $surface;
        color: $foreground;
        & > .message-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .message-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .message-list--marked { color: $mail-marked; }
        & > .message-list--unread { color: $mail-unread; text-style: bold; }
        & > .message-list--opened { color: $mail-opened; }
        & > .message-list--pending { color: $text-muted; }
        & > .message-list--error { color: $mail-error; }
        & > .message-list--number { color: $text-muted; }
        & > .message-list--date { color: $text-secondary; }
        & > .message-list--sender { color: $text-primary; }
        & > .message-list--size { color: $text-muted; }
        & > .message-list--flag { color: $mail-marked; text-style: bold; }
        & > .message-list--tagged { color: $accent; text-style: bold; }
    }
    """

    class _ListMessage(Message):
        def __init__(self, message_list: MessageList) -> None:
            super().__init__()
            self.message_list = message_list

        @property
        def control(self) -> MessageList:
            return self.message_list

    class Highlighted(_ListMessage):
        """The cursor moved to another message (``uid`` is None when the list is empty)."""

        def __init__(self, message_list: MessageList, uid: str | None) -> None:
            super().__init__(message_list)
            self.uid = uid

    class Selected(_ListMessage):
        """The user asked to open the message under the cursor."""

        def __init__(self, message_list: MessageList, uid: str) -> None:
            super().__init__(message_list)
            self.uid = uid

    class VisibleChanged(_ListMessage):
        """The rows on screen (plus the next page) changed; sent debounced while scrolling."""

        def __init__(self, message_list: MessageList, uids: tuple[str, ...]) -> None:
            super().__init__(message_list)
            self.uids = uids

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MessageList.VisibleChanged)

    def __init__(
        self,
        *,
        marks: Container[str] = frozenset(),
        tags: Container[str] = frozenset(),
        clock: Callable[[], datetime] = _local_now,
        full_date_format: str = "%Y-%m-%d",
        visible_debounce: float = 0.08,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.marks: Container[str] = marks
        self.tags: Container[str] = tags
        self.clock = clock
        self.full_date_format = full_date_format
        self.visible_debounce = visible_debounce
        self._rows: list[Row] = []
        self._by_uid: Mapping[str, Row] = {}
        self._view: list[Row] = []
        self._index_cache: dict[str, int] | None = {}
        self._cursor = 0
        self._sort_key = "date"
        self._sort_reverse = False
        self._pattern: Pattern | None = None
        self._query = ""
        self._result: Filtered | None = None
        # threads (sort key "thread"): every line, the shown lines by uid, collapsed roots
        self._threads: list[ThreadLine[Row]] | None = None
        self._line_of: dict[str, ThreadLine[Row]] = {}
        self._folded: dict[str, int] = {}
        self._collapsed: set[str] = set()
        self._generation = 0
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        self._visible_timer: Timer | None = None
        self._last_highlighted: str | None = None
        self._user_moved = False
        """Until the user moves the cursor it stays on the top row, however the rows sort."""

    # -- data --------------------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[Row]:
        """Every row, in message-number order."""
        return self._rows

    @property
    def view(self) -> Sequence[Row]:
        """The rows shown: filtered and sorted."""
        return self._view

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def current(self) -> Row | None:
        return self._view[self._cursor] if 0 <= self._cursor < len(self._view) else None

    @property
    def sort_key(self) -> str:
        return self._sort_key

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        """The filter as typed (not ``query``: that would shadow ``DOMNode.query``)."""
        return self._query

    def row(self, uid: str) -> Row | None:
        return self._by_uid.get(uid)

    def set_rows(self, rows: Mapping[str, Row]) -> None:
        """Replace all rows with a new listing's (by identity key, in listing order), keeping
        the cursor on the same message if it stays. ``rows`` is kept, not copied (100,000
        rows: 4 MB): a later listing comes as a new mapping, this one must not change."""
        keep = self.current.uid if self.current else None
        self._rows = list(rows.values())
        self._by_uid = rows
        self._rebuild(keep)

    def set_sort(self, key: str, reverse: bool = False) -> None:
        self._sort_key = key
        self._sort_reverse = reverse
        self.resort()

    def resort(self) -> None:
        """Apply the sort again (after headers filled in), keeping the cursor's message."""
        self._rebuild(self.current.uid if self.current else None)

    @property
    def filter_result(self) -> Filtered | None:
        """What the filter shows of all rows (None without a filter): ``counts()`` gives
        ``N of M`` and the bodies ``~b`` could not search."""
        return self._result

    def set_filter(self, query: str) -> None:
        """Filter with a pattern (`popui.patterns`); raises ``PatternError`` when ``query`` is
        malformed, and then the filter in effect stays."""
        query = query.strip()
        pattern = compile_pattern(query, self.clock()) if query else None
        self._query = query
        self._pattern = pattern
        self._rebuild(self.current.uid if self.current else None)

    class LayoutChanged(Message):
        """Columns, sort or width changed: the column header repaints."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MessageList.LayoutChanged)

    def _rebuild(self, keep_uid: str | None) -> None:
        self._generation += 1
        if self._pattern is None:
            self._result = None
            shown: list[Row] = self._rows
        else:
            self._result = filter_rows(self._pattern, self._rows, self.marks, self.tags)
            shown = self._result.rows
        self._threads = None
        if self._sort_key == "thread":
            if len(shown) <= THREAD_INLINE_LIMIT:
                self._threads = thread_lines(shown, newest_first=not self._sort_reverse)
            else:  # meanwhile by date; the threads replace it when ready
                self._thread_in_background(list(shown), not self._sort_reverse, self._generation)
        if self._threads is not None:
            self._show_threads(keep_uid)
            return
        self._line_of = {}
        self._folded = {}
        self._set_view(sort_rows(shown, self._sort_key, self._sort_reverse), keep_uid)

    # -- threads ---------------------------------------------------------------------------------

    class Threaded(Message):
        """The threads of a big list are ready (they were computed in a worker)."""

    class _ThreadsDone(Message):
        def __init__(self, generation: int, lines: list[ThreadLine[Row]]) -> None:
            super().__init__()
            self.generation = generation
            self.lines = lines

    @work(thread=True, exclusive=True, group="threads", exit_on_error=False)
    def _thread_in_background(self, rows: list[Row], newest_first: bool, generation: int) -> None:
        lines = thread_lines(rows, newest_first=newest_first)
        if not get_current_worker().is_cancelled:
            self.post_message(self._ThreadsDone(generation, lines))

    @on(_ThreadsDone)
    def _threads_done(self, message: _ThreadsDone) -> None:
        if message.generation == self._generation and self._sort_key == "thread":
            self._threads = message.lines
            self._show_threads(self.current.uid if self.current else None)
            self.post_message(self.Threaded())

    @property
    def threaded(self) -> bool:
        """True when the list shows threads (sorted by thread, and threading is done)."""
        return self._threads is not None

    def _show_threads(self, keep_uid: str | None) -> None:
        assert self._threads is not None
        roots = [line.root for line in self._threads
                 if line.row is line.root and line.root.uid in self._collapsed]
        visible, counts = collapse(self._threads, roots)
        self._line_of = {line.row.uid: line for line in visible}
        self._folded = {root.uid: count for root, count in counts.items()}
        if keep_uid is not None and keep_uid not in self._line_of:
            # the cursor's message is inside a collapsed thread: stay on its root
            line = next((ln for ln in self._threads if ln.row.uid == keep_uid), None)
            keep_uid = line.root.uid if line is not None else keep_uid
        self._set_view([line.row for line in visible], keep_uid)

    def thread_of(self, uid: str) -> list[Row]:
        """Every message of the thread ``uid`` is in (just that row when not threaded)."""
        line = self._line_of.get(uid)
        if self._threads is None or line is None:
            row = self._by_uid.get(uid)
            return [row] if row is not None else []
        return thread_members(self._threads, line.root)

    def collapsed_count(self, uid: str) -> int:
        """How many messages the collapsed thread ``uid`` heads holds (0: not collapsed)."""
        return self._folded.get(uid, 0)

    def toggle_thread(self) -> bool:
        """Collapse or expand the cursor's thread; False when not threaded (nothing done)."""
        row = self.current
        if self._threads is None or row is None:
            return False
        root = self._line_of[row.uid].root.uid
        if root in self._collapsed:
            self._collapsed.discard(root)
        else:
            self._collapsed.add(root)
        self._show_threads(root)
        return True

    def toggle_all_threads(self) -> bool:
        """Collapse every thread, or expand them all when some are collapsed."""
        if self._threads is None:
            return False
        if self._collapsed:
            self._collapsed.clear()
        else:
            self._collapsed = {line.row.uid for line in self._threads if line.row is line.root}
        keep = self.current
        self._show_threads(keep.uid if keep else None)
        return True

    def _set_view(self, view: list[Row], keep_uid: str | None) -> None:
        self._view = view
        self._index_cache = None  # built when first asked: a fill re-sorts 100,000 rows often
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._view))
        if not self._user_moved:
            keep_uid = None
        cursor = self._index.get(keep_uid, 0) if keep_uid is not None else 0
        self._cursor = min(cursor, max(len(self._view) - 1, 0))
        self.refresh()
        if self.is_mounted:
            self.call_after_refresh(self._scroll_cursor_into_view, center=True)
        self._post_highlighted()
        self._schedule_visible()
        self.post_message(self.LayoutChanged())

    def refresh_rows(self, uids: Sequence[str] = ()) -> None:
        """Repaint these rows (or all when empty) after their data or marks changed."""
        if not uids:
            self._strips.clear()
            self.refresh()
            return
        top = round(self.scroll_y)
        shown = {row.uid: i for i, row in enumerate(self._view[top:top + self.page_height], top)}
        for uid in uids:  # the others render fresh when shown
            if (index := shown.get(uid)) is not None:
                self.refresh_lines(index)

    # -- cursor --------------------------------------------------------------------------------

    def move_cursor(self, index: int) -> None:
        if not self._view:
            return
        self._user_moved = True
        index = max(0, min(index, len(self._view) - 1))
        if index != self._cursor:
            old = self._cursor
            self._cursor = index
            self.refresh_lines(old)
            self.refresh_lines(index)
        self._scroll_cursor_into_view()
        self._post_highlighted()

    @property
    def _index(self) -> dict[str, int]:
        """Each shown row's position, by key."""
        if self._index_cache is None:
            self._index_cache = {row.uid: i for i, row in enumerate(self._view)}
        return self._index_cache

    def move_to_uid(self, uid: str) -> None:
        index = self._index.get(uid)
        if index is not None:
            self.move_cursor(index)

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def page_down(self) -> None:
        page = self.page_height
        self.scroll_to(y=self.scroll_y + page, animate=False, immediate=True)
        self.move_cursor(self._cursor + page)

    def page_up(self) -> None:
        page = self.page_height
        self.scroll_to(y=self.scroll_y - page, animate=False, immediate=True)
        self.move_cursor(self._cursor - page)

    def cursor_first(self) -> None:
        self.move_cursor(0)

    def cursor_last(self) -> None:
        self.move_cursor(len(self._view) - 1)

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        height = self.page_height
        top = round(self.scroll_y)
        if top <= self._cursor < top + height:
            return
        if center:
            target = self._cursor - height // 2
        elif self._cursor < top:
            target = self._cursor
        else:
            target = self._cursor - height + 1
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _post_highlighted(self) -> None:
        uid = self.current.uid if self.current else None
        if uid != self._last_highlighted:
            self._last_highlighted = uid
            self.post_message(self.Highlighted(self, uid))

    def visible_uids(self, extra_pages: int = 1) -> tuple[str, ...]:
        """The messages on screen, then those of the next ``extra_pages`` pages."""
        top = max(0, round(self.scroll_y))
        height = self.page_height
        rows = self._view[top : top + height * (1 + extra_pages)]
        return tuple(row.uid for row in rows)

    def _schedule_visible(self) -> None:
        if not self.is_mounted:
            return
        if self._visible_timer is not None:
            self._visible_timer.stop()
        self._visible_timer = self.set_timer(self.visible_debounce, self._post_visible)

    def _post_visible(self) -> None:
        self._visible_timer = None
        self.post_message(self.VisibleChanged(self, self.visible_uids()))

    # -- events ----------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._schedule_visible()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._view))
        self._schedule_visible()
        self.post_message(self.LayoutChanged())

    def on_mount(self) -> None:
        self._schedule_visible()
        self._day = self.clock().date()
        self.set_interval(60, self.roll_day)

    def roll_day(self) -> None:
        """After midnight "today" is another day: dates are drawn anew (times become days)."""
        today = self.clock().date()
        if today != self._day:
            self._day = today
            self._strips.clear()
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self._view):
            self.move_cursor(index)
            if event.chain >= 2:
                self.post_message(self.Selected(self, self._view[index].uid))

    def select_current(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row.uid))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    # -- rendering ---------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"message-list--{name}", partial=True)
            self._styles[name] = style
        return style

    @property
    def row_width(self) -> int:
        """Cells a row takes (the list's width less its scrollbar)."""
        return self.scrollable_content_region.width

    def columns(self, width: int | None = None) -> Columns:
        width = self.row_width if width is None else width
        number = max(1, len(str(self._rows[-1].number)) if self._rows else 1)
        date = max(10, len(self.full_date_format.replace("%Y", "2000")))
        # flags(3) + gaps(5) + attachment(1) + size(6)
        fixed = FLAGS + number + date + 1 + 6 + 6
        sender = max(8, min(26, (width - fixed) // 3))
        subject = max(1, width - fixed - sender)
        return Columns(number, date, sender, subject)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        base = self._styles.get("")
        if base is None:
            base = self._styles[""] = self.rich_style
        if not 0 <= index < len(self._view):
            return Strip.blank(width, base)
        row = self._view[index]
        marked = row.uid in self.marks
        tagged = row.uid in self.tags
        is_cursor = index == self._cursor
        key = (row.uid, row.version, width, marked, tagged, is_cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, marked, is_cursor, base, tagged)
            self._strips.set(key, strip)
        return strip

    def _render_row(
        self, row: Row, width: int, marked: bool, is_cursor: bool, base: Style,
        tagged: bool = False,
    ) -> Strip:
        cols = self.columns(width)
        if marked:
            state = self._style("marked")
        elif row.error:
            state = self._style("error")
        elif not row.loaded:
            state = self._style("pending")
        elif row.opened:
            state = self._style("opened")
        else:
            state = self._style("unread")
        overlay = state + self._style("cursor") if is_cursor else state

        def seg(text: str, column: Style | None = None) -> Segment:
            style = base + column + overlay if column is not None else base + overlay
            return Segment(text, style)

        if row.loaded and not row.error:
            sender = row.sender or "(no sender)"
            subject = row.subject or "(no subject)"
            date = format_date(row.date, self.clock(), full_format=self.full_date_format)
        elif row.error:
            sender, subject, date = "", "(headers unavailable)", ""
        else:
            sender, subject, date = "…", "", ""
        line = self._line_of.get(row.uid)
        if line is not None:
            folded = self._folded.get(row.uid, 0)
            shown = subject if line.show_subject or folded else ""
            subject = line.prefix + (f"({folded}) " if folded > 1 else "") + shown
        segments = [
            seg("D" if marked else " ", self._style("flag")),
            seg("*" if tagged else " ", self._style("tagged")),
            seg(" " if row.opened else "N", self._style("flag")),
            seg(" "),
            seg(str(row.number).rjust(cols.number), self._style("number")),
            seg(" "),
            seg(set_cell_size(date, cols.date), self._style("date")),
            seg(" "),
            seg(_fit(sender, cols.sender), self._style("sender")),
            seg(" "),
            seg(_fit(subject, cols.subject)),
            seg(" "),
            seg("+" if row.attachment else " ", self._style("size")),
            seg(human_size(row.size).rjust(6), self._style("size")),
            seg(" "),
        ]
        strip = Strip(segments)
        if strip.cell_length == width:
            return strip
        return strip.crop_extend(0, width, base + overlay)


def _fit(text: str, width: int) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells, marking a cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
