"""The main screen: the message list, the preview pane, the filter line and the status bar.

It turns engine events into rows and turns keys into engine requests (through the app, which
owns the session). Header blocks arrive already parsed (`popui.messages.SessionEvent`).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container as Box
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker

from popui.commands import MAIN_COMMANDS, bindings
from popui.mail.headers import HeaderSummary
from popui.messages import WorkerFailed
from popui.pop3 import events as ev
from popui.pop3.requests import FetchHeaders, Preview, Refresh, Request
from popui.rows import Row, next_sort
from popui.screens.sort_dialog import SortDialog
from popui.widgets.list_header import ListHeader
from popui.widgets.message_list import MessageList
from popui.widgets.preview import PreviewPane
from popui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from popui.app import PopuiApp
    from popui.messages import CachedHeaders, SessionEvent

PREVIEW_MODES = ("right", "bottom", "off")


class MainScreen(Screen[None]):
    BINDINGS = bindings(MAIN_COMMANDS)

    DEFAULT_CSS = """
    MainScreen {
        layout: vertical;
        & #panes { height: 1fr; layout: horizontal; }
        & #panes.-bottom { layout: vertical; }
        & #list-box { width: 1fr; height: 1fr; }
        & #messages { width: 1fr; height: 1fr; }
        & #panes.-right #preview {
            width: 45%; height: 1fr; border-left: tall $panel;
        }
        & #panes.-bottom #preview {
            height: 40%; width: 1fr; border-top: tall $panel;
        }
        & #panes.-off #preview { display: none; }
        & #filter { dock: bottom; display: none; height: 1; border: none; padding: 0 1; }
        & #filter.-shown { display: block; }
    }
    """

    def __init__(
        self,
        *,
        account_label: str,
        preview: str = "right",
        preview_lines: int = 20,
        clock: Callable[[], datetime] | None = None,
        date_format: str | None = None,
    ) -> None:
        super().__init__()
        self.account_label = account_label
        self.preview_mode = preview if preview in PREVIEW_MODES else "right"
        self._last_preview_place = self.preview_mode if self.preview_mode != "off" else "right"
        self.preview_lines = preview_lines
        self._clock = clock
        self._date_format = date_format or "%Y-%m-%d"
        self._rows: dict[str, Row] = {}
        self._preview_timer: Timer | None = None
        self._filter_timer: Timer | None = None
        self._loaded_all = False
        self._loaded = 0
        self._generation = 0
        self._refilter_timer: Timer | None = None
        self.marks: Container[str] = frozenset()

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        list_kwargs: dict[str, Any] = {"full_date_format": self._date_format}
        if self._clock is not None:
            list_kwargs["clock"] = self._clock
        message_list = MessageList(id="messages", **list_kwargs)
        with Box(id="panes", classes=f"-{self.preview_mode}"):
            with Vertical(id="list-box"):
                yield ListHeader(message_list, id="list-header")
                yield message_list
            yield PreviewPane(id="preview")
        yield Input(
            id="filter",
            placeholder="filter: words in sender or subject; sizes like >5M <10k · Enter keeps it",
        )
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.status.update_status(account=self.account_label)
        self.message_list.focus()

    @property
    def message_list(self) -> MessageList:
        return self.query_one("#messages", MessageList)

    @property
    def preview(self) -> PreviewPane:
        return self.query_one("#preview", PreviewPane)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    @property
    def preview_shown(self) -> bool:
        return self.preview_mode != "off"

    @property
    def popui(self) -> PopuiApp:
        return cast("PopuiApp", self.app)

    def submit(self, request: Request) -> None:
        self.popui.submit(request)

    def attach_marks(self, marks: Container[str]) -> None:
        """Use the session's marks (they live beside the session, never on the server)."""
        self.marks = marks
        self.message_list.marks = marks
        self.message_list.refresh_rows()
        self.update_marks_status()

    # -- engine events -----------------------------------------------------------------------

    def session_event(self, message: SessionEvent) -> None:
        event = message.event
        if isinstance(event, ev.Connecting):
            self.status.update_status(
                state="reconnecting" if event.reconnect else "connecting",
                attempt=event.attempt, retry_at=None, note="",
            )
        elif isinstance(event, ev.Connected):
            self.status.update_status(
                state="connected", tls=event.tls, message_count=event.message_count,
                mailbox_size=event.mailbox_size, retry_at=None, note="",
            )
        elif isinstance(event, ev.ConnectionLost):
            retry_at = self.status.clock() + event.retry_in if event.retry_in else None
            self.status.update_status(state="reconnecting", retry_at=retry_at)
        elif isinstance(event, ev.Listing):
            self._listing(event)
        elif isinstance(event, ev.HeadersFetched):
            self._headers(message.summaries, event.done, event.total)
        elif isinstance(event, ev.HeadersFailed):
            for uid in event.uids:
                row = self._rows.get(uid)
                if row is not None and not row.loaded:
                    row.fail()
                    self._loaded += 1
            self.message_list.refresh_rows(event.uids)
        elif isinstance(event, ev.PreviewReady):
            self.preview.show_preview(event)
        elif isinstance(event, ev.PreviewFailed):
            self.preview.show_failure(event)
        elif isinstance(event, ev.MessageRetrieved):
            self.mark_opened(event.uid)
        elif isinstance(event, ev.CommitDone):
            self.message_list.refresh_rows()
            self.update_marks_status()
        elif isinstance(event, ev.Disconnected):
            self.status.update_status(state="offline", retry_at=None)
        elif isinstance(event, ev.Fatal | ev.LoginFailed):
            self.status.update_status(state="error", retry_at=None)

    def _listing(self, event: ev.Listing) -> None:
        old = self._rows
        rows: dict[str, Row] = {}
        for info in event.messages:
            row = old.get(info.uid)
            if row is None:
                row = Row(info.number, info.uid, info.size)
            elif row.number != info.number or row.size != info.size:
                row.number, row.size = info.number, info.size
                row.version += 1
            rows[info.uid] = row
        self._rows = rows
        self._generation += 1
        self.popui.apply_opened(rows)
        self.message_list.set_rows(list(rows.values()))
        # Rows on screen: from the local cache at once (a page of parses), else asked for
        # first (interactive requests jump the engine's queue).
        on_screen = [rows[uid] for uid in self.message_list.visible_uids()]
        self.popui.restore_headers(on_screen)
        self.popui.prune_store(tuple(rows))  # after the restore: it holds the store a while
        missing = self._unloaded()
        self._loaded = len(rows) - len(missing)
        self._loaded_all = not missing
        self.status.update_status(loaded=self._loaded, total=len(rows))
        self.update_marks_status()
        first = tuple(row.uid for row in on_screen if not row.loaded)
        if first:
            self.submit(FetchHeaders(first, interactive=True))
        if missing:
            # The rest: from the cache in a thread (parsing 100,000 headers takes seconds),
            # then whatever the cache lacks from the server, in the background.
            self.popui.load_cached_headers(self._generation, missing)
        if event.vanished:
            self.notify(
                f"{len(event.vanished)} message(s) disappeared from the server since the last "
                "listing; their marks were dropped.", severity="warning",
            )

    def _headers(
        self, summaries: tuple[tuple[str, HeaderSummary], ...], done: int, total: int
    ) -> None:
        filled = []
        for uid, summary in summaries:
            row = self._rows.get(uid)
            if row is not None:
                if not row.loaded:
                    self._loaded += 1
                row.fill(summary)
                filled.append(uid)
        loaded = self._loaded
        self.status.update_status(loaded=loaded, total=len(self._rows))
        self.message_list.refresh_rows(filled)
        if self.message_list.query and self._refilter_timer is None:
            # New headers may match the filter; re-filtering 100,000 rows per batch is too much.
            self._refilter_timer = self.set_timer(0.5, self._refilter)
        current = self.message_list.current
        if current is not None and current.uid in filled and self.preview.uid is None:
            self._schedule_preview()
        if loaded == len(self._rows) and not self._loaded_all:
            self._loaded_all = True
            if self.message_list.sort_key != "number":
                self.message_list.resort()

    def _unloaded(self) -> tuple[str, ...]:
        """Rows still without headers: those shown first, in the list's order, then those the
        filter hides (they need headers too, or they could never match it)."""
        shown = tuple(row.uid for row in self.message_list.view if not row.loaded)
        if not self.message_list.query:
            return shown
        first = set(shown)
        hidden = (uid for uid, row in self._rows.items() if not row.loaded and uid not in first)
        return (*shown, *hidden)

    def _refilter(self) -> None:
        self._refilter_timer = None
        self._apply_filter(self.message_list.query)

    def cached_headers(self, message: CachedHeaders) -> None:
        """Headers from the local cache (parsed in a thread); then fetch what it lacked."""
        if message.generation != self._generation:
            return
        self._headers(message.summaries, 0, 0)
        if message.final:
            missing = self._unloaded()
            if missing:
                self.submit(FetchHeaders(missing))

    def mark_opened(self, uid: str) -> None:
        row = self._rows.get(uid)
        if row is not None:
            row.set_opened()
            self.message_list.refresh_rows([uid])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    # -- list events -----------------------------------------------------------------------

    @on(MessageList.VisibleChanged)
    def _visible(self, event: MessageList.VisibleChanged) -> None:
        missing = tuple(
            uid for uid in event.uids if (row := self._rows.get(uid)) and not row.loaded
        )
        if missing:
            self.submit(FetchHeaders(missing, interactive=True))

    @on(MessageList.Highlighted)
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        if event.uid is None:
            self.preview.clear()
            return
        self._schedule_preview()

    @on(MessageList.Selected)
    def _selected(self, event: MessageList.Selected) -> None:
        self.popui.open_message(event.uid)

    def _schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(0.08, self._request_preview)

    def _request_preview(self) -> None:
        self._preview_timer = None
        row = self.message_list.current
        if row is None or not self.preview_shown:
            return
        if self.preview.uid == row.uid and self.preview.preview is not None:
            return
        self.preview.show_loading(row.subject or f"message {row.number}", row.uid)
        self.submit(Preview(row.uid, self.preview_lines))

    # -- actions ---------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.message_list.cursor_down()

    def action_cursor_up(self) -> None:
        self.message_list.cursor_up()

    def action_page_down(self) -> None:
        self.message_list.page_down()

    def action_page_up(self) -> None:
        self.message_list.page_up()

    def action_cursor_first(self) -> None:
        self.message_list.cursor_first()

    def action_cursor_last(self) -> None:
        self.message_list.cursor_last()

    def action_open_message(self) -> None:
        self.message_list.select_current()

    def action_toggle_preview(self) -> None:
        panes = self.query_one("#panes")
        if self.preview_shown:
            self._last_preview_place = self.preview_mode
            self.preview_mode = "off"
        else:
            self.preview_mode = self._last_preview_place
        for mode in PREVIEW_MODES:
            panes.set_class(mode == self.preview_mode, f"-{mode}")
        if self.preview_shown:
            self._schedule_preview()

    def action_cycle_sort(self) -> None:
        self.message_list.set_sort(next_sort(self.message_list.sort_key))

    def sort_by(self, key: str) -> None:
        self.message_list.set_sort(key)

    def action_reverse_sort(self) -> None:
        self.message_list.set_sort(self.message_list.sort_key, not self.message_list.sort_reverse)

    @work(exclusive=True, group="sort", exit_on_error=False)
    async def action_choose_sort(self) -> None:
        lst = self.message_list
        choice = await self.app.push_screen_wait(SortDialog(lst.sort_key, lst.sort_reverse))
        if choice == "reverse":
            self.action_reverse_sort()
        elif choice is not None:
            self.sort_by(choice)

    @on(ListHeader.SortClicked)
    def _header_clicked(self, event: ListHeader.SortClicked) -> None:
        if event.key == self.message_list.sort_key:
            self.action_reverse_sort()
        else:
            self.sort_by(event.key)

    @on(MessageList.LayoutChanged)
    def _list_layout(self) -> None:
        self.query_one("#list-header", ListHeader).refresh()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        box.value = self.message_list.query
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("-shown")
        box.value = ""
        self._apply_filter("")
        self.message_list.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value
        self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(value))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._apply_filter(event.value)
        event.input.remove_class("-shown")
        self.message_list.focus()

    def _apply_filter(self, query: str) -> None:
        self.message_list.set_filter(query)
        shown = len(self.message_list.view) if self.message_list.query else None
        self.status.update_status(shown=shown)

    def action_toggle_mark(self) -> None:
        row = self.message_list.current
        if row is None:
            return
        self.popui.marks.toggle(row.uid)
        self.message_list.refresh_rows([row.uid])
        self.message_list.cursor_down()
        self.update_marks_status()

    def mark_and_move_on(self, uid: str) -> None:
        """``d`` in the full view: mark that message (never unmark) and move past it."""
        self.popui.marks.add([uid])
        self.message_list.refresh_rows([uid])
        self.message_list.move_to_uid(uid)
        self.message_list.cursor_down()
        self.update_marks_status()

    def action_unmark(self) -> None:
        row = self.message_list.current
        if row is None:
            return
        self.popui.marks.discard([row.uid])
        self.message_list.refresh_rows([row.uid])
        self.update_marks_status()

    def action_unmark_all(self) -> None:
        self.popui.marks.clear()
        self.message_list.refresh_rows()
        self.update_marks_status()

    def action_mark_filtered(self) -> None:
        if not self.message_list.query:
            self.notify("Filter first (/): D marks every message the filter shows.")
            return
        uids = [row.uid for row in self.message_list.view]
        self.popui.marks.add(uids)
        self.message_list.refresh_rows()
        self.update_marks_status()
        self.notify(f"Marked {len(uids)} message(s).")

    def marked_rows(self) -> list[Row]:
        marks = self.popui.marks.snapshot()
        rows = [row for uid in marks if (row := self._rows.get(uid)) is not None]
        return sorted(rows, key=lambda row: row.number)

    def update_marks_status(self) -> None:
        rows = self.marked_rows()
        self.status.update_status(marked=len(rows), marked_bytes=sum(r.size for r in rows))

    def action_commit(self) -> None:
        self.popui.confirm_commit()

    def action_refresh(self) -> None:
        if self.popui.retry_pending:
            self.popui.retry_login()
        elif self.popui.session is None:
            self.popui.reconnect()
        else:
            self.submit(Refresh())

    def action_info(self) -> None:
        self.popui.show_info()

    def action_protocol_log(self) -> None:
        self.popui.show_protocol_log()

    @work(exclusive=True, group="quit", exit_on_error=False)
    async def action_quit(self) -> None:
        await self.popui.quit_asking()
