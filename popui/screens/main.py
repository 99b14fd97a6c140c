"""The main screen: the message list, the preview pane, the filter line and the status bar.

It is bound to one `Mailbox` (no Textual there), which owns the session, the rows, the marks and
the local store: keys become Mailbox calls, and the Mailbox's updates come back as typed
messages (`popui.messages`), each handled here where it is used. It also runs the login (the
password prompt) and the commit and quit dialogs. It never imports the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Container, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container as Box
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.worker import Worker

from popui import messages as msg
from popui.commands import MAIN_COMMANDS, bindings
from popui.credentials import Secrets, Stored, stored_credentials
from popui.mailbox import Mailbox
from popui.mailbox.model import NO_TOP
from popui.messages import WorkerFailed
from popui.patterns import FilterHistory, PatternError
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.requests import Preview, Refresh, Retrieve, SetDebugLevel
from popui.screens.confirm import ConfirmCommit, ErrorDialog, NoTopDialog, QuitDialog
from popui.screens.keeping import KeepingActions
from popui.screens.palette import ScreenCommands
from popui.widgets.filter_input import FilterBox, FilterInput
from popui.widgets.footer import Footer
from popui.widgets.list_header import ListHeader
from popui.widgets.message_list import MessageList
from popui.widgets.preview import PreviewPane
from popui.widgets.status_bar import StatusBar

PREVIEW_MODES = ("right", "bottom", "off")


Trust = Callable[[ev.CertificateRefused, Account], Awaitable[Account | None]]
"""Shows a refused certificate and returns the account to connect with, or None (refused)."""

#: seconds after the rows are filled (and a preview or a row is shown) before the full view's
#: code is loaded: the screen draws the filled list first
PREPARE_VIEW_AFTER = 0.3


class MainScreen(KeepingActions):
    BINDINGS = bindings(MAIN_COMMANDS)
    HELP_COMMANDS = MAIN_COMMANDS
    COMMANDS = {ScreenCommands}

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
    }
    """

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        secrets: Secrets | None = None,
        account_label: str,
        preview: str = "right",
        preview_lines: int = 20,
        clock: Callable[[], datetime] | None = None,
        date_format: str | None = None,
        remember_choice: Callable[[str, str], None] | None = None,
        named_filters: Mapping[str, str] | None = None,
        browser: str | None = None,
        opener: str | None = None,
        trust: Trust | None = None,
    ) -> None:
        """``remember_choice(key, value)`` saves a ``[ui]`` setting the user changed here."""
        super().__init__()
        self.browser = browser
        self.opener = opener
        self.named_filters = dict(named_filters or {})
        """``[ui.filters]``: name to pattern (palette entries, and completion in the input)."""
        self.filter_history = FilterHistory()
        self._warned_retr = False
        self.mailbox = mailbox
        self.secrets = secrets
        self.account_label = account_label
        self.preview_mode = preview if preview in PREVIEW_MODES else "right"
        """Where the user wants the preview (config, or cycled with ``p``)."""
        self._asked_here = False  # cycled in this session: taken as it is, even when narrow
        self.remember_choice = remember_choice
        self.trust = trust
        self.preview_lines = preview_lines
        self._clock = clock
        self._date_format = date_format or "%Y-%m-%d"
        self._preview_timer: Timer | None = None
        self._filter_timer: Timer | None = None
        self._refilter_timer: Timer | None = None
        self._retry_timer: Timer | None = None
        self._resort_timer: Timer | None = None
        self._credentials: Credentials | None = None
        """The last credentials logged in with: a refused-for-now login is retried with them."""
        self._password_to_remember: str | None = None
        self._reconnect_toasted = False
        self._quit_after_commit = False
        self._leaving = False
        self._view_prepared = False
        self._prepare_when_filled = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        list_kwargs: dict[str, Any] = {"full_date_format": self._date_format,
                                       "marks": self.mailbox.marks, "tags": self.tags}
        if self._clock is not None:
            list_kwargs["clock"] = self._clock
        message_list = MessageList(id="messages", **list_kwargs)
        with Box(id="panes", classes=f"-{self.preview_mode}"):
            with Vertical(id="list-box"):
                yield ListHeader(message_list, id="list-header")
                yield message_list
            yield PreviewPane(id="preview")
        yield FilterBox(self.filter_history, self.named_filters, id="filter-box")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.status.update_status(account=self.account_label)
        self.message_list.focus()
        self._place_preview()
        self.mailbox.bind(self._post_update)
        self.mailbox.subscribe(self._listen)
        self.login()

    def on_unmount(self) -> None:
        self.mailbox.unsubscribe(self._listen)

    def _post_update(self, event: ev.Event) -> None:
        """Any thread: bring a Mailbox update to the UI thread (post_message is thread-safe)."""
        self.post_message(msg.MailboxUpdate(event))

    def _listen(self, event: ev.Event) -> None:
        message = msg.as_message(event)
        if message is not None:
            self.post_message(message)

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
    def tags(self) -> Container[str]:
        """The Mailbox's tags (``~T``), or none until the Mailbox has them."""
        tags: Container[str] = getattr(self.mailbox, "tags", frozenset())
        return tags

    @property
    def preview_shown(self) -> bool:
        return self.preview_place != "off"

    @property
    def preview_place(self) -> str:
        """Where the preview is: the user's choice, except that "right" moves below the list
        while the subject column would get fewer than 30 characters beside it."""
        if self.preview_mode != "right" or self._asked_here or not self.is_mounted:
            return self.preview_mode
        beside = int(self.size.width * 0.55) - 2
        return "bottom" if self.message_list.columns(beside).subject < 30 else "right"

    def _place_preview(self) -> None:
        place = self.preview_place
        panes = self.query_one("#panes")
        for mode in PREVIEW_MODES:
            panes.set_class(mode == place, f"-{mode}")

    def on_resize(self) -> None:
        self._place_preview()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    # -- logging in --------------------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def login(self, retry_message: str | None = None) -> None:
        """Get a secret (password command, keyring, or a prompt) and log in."""
        credentials: Credentials | None = None
        early, self.mailbox.early_login = self.mailbox.early_login, None
        if early is not None:  # looked up, and logging in, before this screen existed
            credentials = self._found(await asyncio.wrap_future(early))
            if credentials is not None:
                self._credentials = credentials
                return
        elif retry_message is None and self.secrets is not None:
            credentials = self._found(await asyncio.to_thread(
                stored_credentials, self.secrets, self.mailbox.account))
        if credentials is None and retry_message is None and not await self._server_answers():
            return
        if credentials is None:
            answer = await self._prompt_password(retry_message)
            if answer is None:
                self.status.update_status(state="offline", note="not logged in")
                self.notify("Not logged in. Press r to try again.", markup=False)
                return
            password, remember = answer
            self._password_to_remember = password if remember else None
            credentials = Credentials(password=password)
        self._credentials = credentials
        self.mailbox.connect(credentials)

    async def _server_answers(self) -> bool:
        """Before asking for a password: connect, read the greeting and CAPA, and leave. A wrong
        host, port or security, or an untrusted certificate, is said before anyone types."""
        from popui.pop3.client import check_server
        from popui.pop3.errors import CertificateChanged, Pop3Error, UntrustedCertificate

        self.status.update_status(state="connecting")
        try:
            await asyncio.to_thread(check_server, self.mailbox.account, log=self.mailbox.log,
                                    ssl_context=self.mailbox.session_options.get("ssl_context"))
        except (UntrustedCertificate, CertificateChanged) as exc:
            pinned = exc.pinned if isinstance(exc, CertificateChanged) else None
            return await self._trusted(ev.CertificateRefused(str(exc), exc.certificate, pinned))
        except Pop3Error as exc:
            self.status.update_status(state="error")
            self.app.push_screen(ErrorDialog("Cannot connect", str(exc)))
            return False
        self.status.update_status(state="offline")
        return True

    async def _trusted(self, event: ev.CertificateRefused) -> bool:
        """The certificate dialog; True when the user trusts it (the Mailbox then uses the
        account that pins it)."""
        account = await self.trust(event, self.mailbox.account) if self.trust else None
        if account is None:
            self.status.update_status(state="error")
            self.app.push_screen(ErrorDialog("Certificate refused", event.message))
            return False
        await asyncio.to_thread(self.mailbox.use_account, account)
        return True

    @on(msg.CertificateRefused)
    def _certificate_refused(self, message: msg.CertificateRefused) -> None:
        self._show_connection()
        self._decide_certificate(message.event)

    @work(exclusive=True, group="certificate", exit_on_error=False)
    async def _decide_certificate(self, event: ev.CertificateRefused) -> None:
        if await self._trusted(event):
            self.retry_login()

    def _found(self, stored: Stored) -> Credentials | None:
        if stored.problem:
            self.notify(stored.problem, severity="error", markup=False)
        return stored.credentials

    async def _prompt_password(self, message: str | None) -> tuple[str, bool] | None:
        from popui.screens.password_prompt import PasswordPrompt

        problem: str | None = "no keyring for this account"
        if self.secrets is not None:
            problem = await asyncio.to_thread(self.secrets.keyring_status)
        result: tuple[str, bool] | None = await self.app.push_screen_wait(
            PasswordPrompt(self.account_label, message, keyring_problem=problem)
        )
        return result

    @work(thread=True, exclusive=True, group="remember", exit_on_error=False)
    def _remember_password(self, password: str) -> None:
        problem = self.secrets.remember(password) if self.secrets is not None else None
        if problem:
            self.app.call_from_thread(self.notify, problem, title="Password not saved",
                                      severity="warning", markup=False)

    def _schedule_retry(self, delay: float) -> None:
        """The server refused the login for now (IN-USE, LOGIN-DELAY, SYS/TEMP): try again
        by itself after ``delay`` seconds, counting down in the status bar; ``r`` is now."""
        self._cancel_retry()
        self._retry_timer = self.set_timer(delay, self.retry_login)

    def _cancel_retry(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    @property
    def retry_pending(self) -> bool:
        return self._retry_timer is not None

    def retry_login(self) -> None:
        """Log in again with the same credentials (the countdown ran out, or ``r``)."""
        self._cancel_retry()
        if self._credentials is not None:
            self.mailbox.connect(self._credentials)
        else:
            self.login()

    # -- the Mailbox's updates ---------------------------------------------------------------

    @on(msg.MailboxUpdate)
    def _update(self, message: msg.MailboxUpdate) -> None:
        # shutting down: the threads post until the app has stopped the Mailbox
        if not self._leaving and self.is_attached and self.app.is_running:
            self.mailbox.deliver(message.event)

    def _show_connection(self) -> None:
        c = self.mailbox.connection
        fields: dict[str, object] = {"state": c.state, "attempt": c.attempt,
                                     "retry_at": c.retry_at, "tls": c.tls}
        if c.connected is not None:
            fields.update(message_count=c.connected.message_count,
                          mailbox_size=c.connected.mailbox_size)
        self.status.update_status(**fields)

    @on(msg.Connecting)
    @on(msg.Disconnected)
    def _connection_changed(self) -> None:
        self._show_connection()

    @on(msg.Connected)
    def _connected(self) -> None:
        self._show_connection()
        self.status.update_status(note="")
        self._cancel_retry()
        if self._reconnect_toasted:
            self._reconnect_toasted = False
            self.notify("Connected again; marks were kept.", title="Reconnected")
        if self._password_to_remember is not None:
            self._remember_password(self._password_to_remember)
            self._password_to_remember = None

    @on(msg.LoginFailed)
    def _login_failed(self, message: msg.LoginFailed) -> None:
        self._show_connection()
        event = message.event
        if event.wrong_credentials:
            self.login(retry_message=event.message)
        elif event.retry_after:
            self._schedule_retry(event.retry_after)
            self.notify(
                f"{event.message} Retrying in {event.retry_after:.0f} s; r retries now.",
                title="Login refused for now", severity="warning", markup=False,
            )
        else:
            self.notify(event.message, title="Login refused", severity="warning", markup=False)

    @on(msg.ConnectionLost)
    def _connection_lost(self, message: msg.ConnectionLost) -> None:
        self._show_connection()
        # One toast per outage; the status bar counts the attempts.
        if not self._reconnect_toasted:
            self._reconnect_toasted = True
            self.notify(f"{message.event.message} Reconnecting; the status bar shows progress.",
                        title="Connection lost", severity="warning", markup=False)

    @on(msg.Fatal)
    def _fatal(self, message: msg.Fatal) -> None:
        self._show_connection()
        self._quit_after_commit = False
        self._reconnect_toasted = False
        self.app.push_screen(ErrorDialog("The session stopped", message.event.message))

    @on(msg.Notice)
    def _notice(self, message: msg.Notice) -> None:
        severity: SeverityLevel = "warning"
        if message.event.severity in ("information", "error"):
            severity = "information" if message.event.severity == "information" else "error"
        self.notify(message.event.message, markup=False, severity=severity)

    @on(msg.StoreProblem)
    def _store_problem(self, message: msg.StoreProblem) -> None:
        self.notify(message.event.message, severity="warning", markup=False)

    @on(msg.Listing)
    def _listing(self) -> None:
        self.message_list.set_rows(self.mailbox.rows)
        # The Mailbox fills rows from the cache by itself (CacheDone: the rest from the server,
        # below); rows on screen that the cache lacks first (an interactive request jumps the
        # engine's queue).
        self.mailbox.want_headers(self.message_list.visible_uids())
        self._show_progress()
        self.update_marks_status()

    @on(msg.HeadersParsed)
    def _headers(self, message: msg.HeadersParsed) -> None:
        filled = [key for key, _ in message.event.rows]
        self._show_progress()
        self.message_list.refresh_rows(filled)
        if self.message_list.filter_text and self._refilter_timer is None:
            # New headers may match the filter; re-filtering 100,000 rows per batch is too much.
            self._refilter_timer = self.set_timer(0.5, self._refilter)
        current = self.message_list.current
        if current is not None and current.uid in filled and self.preview.uid is None:
            self._schedule_preview()
        self._sort_when_full()

    @on(msg.HeadersFailed)
    def _headers_failed(self, message: msg.HeadersFailed) -> None:
        self._show_progress()
        self.message_list.refresh_rows(message.event.uids)
        self._sort_when_full()

    @on(msg.TopMissing)
    def _top_missing(self) -> None:
        choice = self.mailbox.choices.get(NO_TOP)
        if choice is None:
            self.ask_about_no_top()
        elif choice == "retr":
            self.mailbox.fill_whole()

    @work(exclusive=True, group="no-top", exit_on_error=False)
    async def ask_about_no_top(self) -> None:
        """Once per account: fill the list by downloading whole messages (which marks them
        seen on the server), or show numbers and sizes only."""
        rows = self.mailbox.rows.values()
        pending = [row for row in rows if not row.loaded or row.error]
        whole = await self.app.push_screen_wait(
            NoTopDialog(len(pending), sum(row.size for row in pending)))
        self.mailbox.choose(NO_TOP, "retr" if whole else "sizes")
        if whole:
            self.mailbox.fill_whole()

    @on(msg.CacheDone)
    def _cache_done(self, message: msg.CacheDone) -> None:
        if message.event.listing == self.mailbox.listing:
            self.mailbox.fetch(self._unloaded())

    def _show_progress(self) -> None:
        self.status.update_status(loaded=self.mailbox.loaded, total=len(self.mailbox.rows))
        if self._prepare_when_filled and self.mailbox.loaded >= len(self.mailbox.rows):
            self._prepare_when_filled = False
            self._prepare_full_view()

    def _sort_when_full(self) -> None:
        """Rows that got their headers move to their place: at once when the last one is in,
        meanwhile at most twice a second, less often for big lists (sorting 100,000 rows per
        batch would be too much)."""
        if self.message_list.sort_key == "number":
            return
        if self.mailbox.loaded == len(self.mailbox.rows):
            if self._resort_timer is not None:
                self._resort_timer.stop()
            self._resort()
        elif self._resort_timer is None:  # a 100,000-row sort takes ~50 ms: then every 2 s
            every = max(0.5, len(self.mailbox.rows) / 50_000)
            self._resort_timer = self.set_timer(every, self._resort)

    def _resort(self) -> None:
        self._resort_timer = None
        self.message_list.resort()

    def _unloaded(self) -> tuple[str, ...]:
        """Rows still without headers: those shown first, in the list's order, then those the
        filter hides (they need headers too, or they could never match it)."""
        shown = self.mailbox.unloaded(self.message_list.view)
        if not self.message_list.filter_text:
            return shown
        first = set(shown)
        hidden = (row.uid for row in self.mailbox.rows.values()
                  if not row.loaded and row.uid not in first)
        return (*shown, *hidden)

    def _refilter(self) -> None:
        self._refilter_timer = None
        self._apply_filter(self.message_list.filter_text)

    @on(msg.PreviewReady)
    def _preview_ready(self, message: msg.PreviewReady) -> None:
        self.preview.show_preview(message.event)

    @on(PreviewPane.Shown)
    def _preview_text(self, event: PreviewPane.Shown) -> None:
        self._prepare_full_view()
        row = self.mailbox.rows.get(event.uid)
        if row is not None:
            row.keep_body(event.text, whole=False)

    @on(msg.PreviewFailed)
    def _preview_failed(self, message: msg.PreviewFailed) -> None:
        self.preview.show_failure(message.event)

    @on(msg.MessageRetrieved)
    def _retrieved(self, message: msg.MessageRetrieved) -> None:
        self.message_list.refresh_rows([message.event.uid])

    @on(msg.OpenedLoaded)
    def _opened_loaded(self) -> None:
        self.message_list.refresh_rows()

    @on(msg.MarksChanged)
    def _marks_changed(self, message: msg.MarksChanged) -> None:
        self.message_list.refresh_rows()
        self.update_marks_status()
        if message.event.message:
            severity: SeverityLevel = (
                "warning" if message.event.severity == "warning" else "information")
            self.notify(message.event.message, markup=False, severity=severity, timeout=8)

    @on(msg.CommitDone)
    async def _commit_done(self, message: msg.CommitDone) -> None:
        self.message_list.refresh_rows()
        self.update_marks_status()
        self.status.update_status(note="")
        self.notify(message.event.message, title="Committed", markup=False, timeout=8)
        if self._quit_after_commit:
            await self.leave()

    @on(msg.CommitFailed)
    def _commit_failed(self, message: msg.CommitFailed) -> None:
        self._quit_after_commit = False
        self.status.update_status(note="")
        event = message.event
        text = event.message
        if event.maybe_deleted:
            text += "\n\nMessages a DELE was sent for:\n" + self._name_rows(event.maybe_deleted)
        self.app.push_screen(ErrorDialog("Commit failed", text))

    @on(msg.CommitChecked)
    def _commit_checked(self, message: msg.CommitChecked) -> None:
        event = message.event
        self.message_list.refresh_rows()
        self.update_marks_status()
        if event.gone:
            self.notify(f"After the failed commit, {len(event.gone)} of the messages a DELE was "
                        f"sent for are gone from the server:\n{self._name_rows(event.gone)}",
                        title="Deleted despite the failure", severity="error", markup=False,
                        timeout=20)
        if event.kept:
            self.notify(f"{len(event.kept)} of them are still there and still marked.",
                        markup=False, timeout=20)

    def _name_rows(self, keys: tuple[str, ...], most: int = 10) -> str:
        """One line per message: its subject (or number and size), at most ``most``."""
        lines = []
        for key in keys[:most]:
            row = self.mailbox.row(key)
            lines.append(f"- {row.describe() if row else '(a message no longer listed)'}")
        if len(keys) > most:
            lines.append(f"… and {len(keys) - most} more")
        return "\n".join(lines)

    # -- list events -----------------------------------------------------------------------

    @on(MessageList.VisibleChanged)
    def _visible(self, event: MessageList.VisibleChanged) -> None:
        self.mailbox.want_headers(event.uids)

    @on(MessageList.Highlighted)
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        if event.uid is None:
            self.preview.clear()
            return
        self._schedule_preview()

    @on(MessageList.Selected)
    def _selected(self, event: MessageList.Selected) -> None:
        self.open_message(event.uid)

    def _schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(0.08, self._request_preview)

    def _request_preview(self) -> None:
        self._preview_timer = None
        row = self.message_list.current
        if row is None:
            return
        if not self.preview_shown:
            self._prepare_full_view()
            return
        if self.preview.uid == row.uid and self.preview.preview is not None:
            return
        self.preview.show_loading(row.subject or f"message {row.number}", row.uid)
        self.mailbox.submit(Preview(row.uid, self.preview_lines))

    def _prepare_full_view(self) -> None:
        """Once, while the user reads the list or a preview: what the first Enter would
        otherwise pay for (issue 9). Textual's CSS parse cache, which the theme's set-up
        empties, is filled (else adding the view's styles re-parses every style: 25 ms), and
        the view's code (with mail-parser: 0.1 s) is loaded on a thread, not at start-up, and
        not while rows fill: that would slow the fill (a warm start of 10,000: 0.2 s); then a
        moment after the last row is in, when the screen has shown it."""
        if self._view_prepared:
            return
        if self.mailbox.loaded < len(self.mailbox.rows):
            self._prepare_when_filled = True
            return
        self._view_prepared = True
        self.set_timer(PREPARE_VIEW_AFTER, self._prepare_now)

    def _prepare_now(self) -> None:
        self.app.stylesheet.parse()
        self._load_full_view()

    @work(thread=True, group="prepare-view", exit_on_error=False)  # Enter imports it anyway
    def _load_full_view(self) -> None:
        import popui.screens.message_view  # noqa: F401

    def open_message(self, key: str) -> None:
        """The full view (``RETR``: the server marks the message seen)."""
        from popui.screens.message_view import MessageView  # loaded by _prepare_full_view

        row = self.mailbox.rows.get(key)
        if row is None:
            return
        if self.mailbox.session is None:
            self.notify("Not connected.", severity="warning")
            return
        self.app.push_screen(MessageView(key, row.size, row.subject, mailbox=self.mailbox,
                                         on_text=partial(self._keep_opened_text, key),
                                         browser=self.browser, opener=self.opener),
                             partial(self._view_closed, key))
        self.mailbox.submit(Retrieve(key))

    def _keep_opened_text(self, key: str, text: str) -> None:
        row = self.mailbox.rows.get(key)
        if row is not None:
            row.keep_body(text, whole=True)

    def _view_closed(self, key: str, result: str | None) -> None:
        if result == "mark":
            self.mark_and_move_on(key)
        elif result in ("next", "previous"):
            self.open_neighbour(key, result == "next")

    def open_neighbour(self, key: str, forward: bool) -> None:
        """From the full view, the next or previous message of the list (mutt's pager J/K):
        opened with RETR, so the server marks it seen too (said once per session)."""
        lst = self.message_list
        lst.move_to_uid(key)
        before = lst.cursor
        if forward:
            lst.cursor_down()
        else:
            lst.cursor_up()
        row = lst.current
        if row is None or lst.cursor == before:
            self.notify(f"No {'next' if forward else 'previous'} message.")
            return
        if not self._warned_retr:
            self._warned_retr = True
            self.notify("Opening uses RETR: the server marks each message you open this way "
                        "seen. The preview pane (p) never does.", title="Marked seen",
                        timeout=8)
        self.open_message(row.uid)

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
        """``p``: right, below, off, right… from where it is now; remembered in the config."""
        place = self.preview_place
        self.preview_mode = PREVIEW_MODES[(PREVIEW_MODES.index(place) + 1) % len(PREVIEW_MODES)]
        self._asked_here = True
        self._place_preview()
        if self.remember_choice is not None:
            self.remember_choice("preview", self.preview_mode)
        if self.preview_shown:
            self._schedule_preview()

    def sort_by(self, key: str) -> None:
        self.message_list.set_sort(key)

    def action_reverse_sort(self) -> None:
        self.message_list.set_sort(self.message_list.sort_key, not self.message_list.sort_reverse)

    @work(exclusive=True, group="sort", exit_on_error=False)
    async def action_choose_sort(self) -> None:
        lst = self.message_list
        from popui.screens.sort_dialog import SortDialog

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

    @property
    def filter_box(self) -> FilterBox:
        return self.query_one("#filter-box", FilterBox)

    @property
    def filter_input(self) -> FilterInput:
        return self.query_one("#filter", FilterInput)

    def action_filter(self, text: str | None = None) -> None:
        """Open the filter line (with ``text``, e.g. a named filter's pattern)."""
        self.filter_box.add_class("-shown")
        box = self.filter_input
        box.value = self.message_list.filter_text if text is None else text
        box.cursor_position = len(box.value)
        box.focus()

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """The named filters of ``[ui.filters]``, and sorting by thread."""
        for name, pattern in self.named_filters.items():
            yield f"Filter: {name}", pattern, partial(self.apply_named_filter, name)

    def apply_named_filter(self, name: str) -> None:
        """A ``[ui.filters]`` entry, applied as if typed."""
        pattern = self.named_filters.get(name)
        if pattern is not None and self._apply_filter(pattern, remember=True):
            self.filter_input.value = pattern

    def action_clear_filter(self) -> None:
        self.filter_box.remove_class("-shown")
        self.filter_box.show_error(None)
        self.filter_input.value = ""
        self._apply_filter("")
        self.message_list.focus()

    @on(FilterInput.Changed, "#filter")
    def _filter_changed(self, event: FilterInput.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value
        self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(value))

    @on(FilterInput.Submitted, "#filter")
    def _filter_submitted(self, event: FilterInput.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        if not self._apply_filter(event.value, remember=True):
            return  # the error stays under the input until the pattern is fixed or cleared
        self.filter_box.remove_class("-shown")
        self.message_list.focus()

    def _apply_filter(self, query: str, *, remember: bool = False) -> bool:
        """Filter with the pattern ``query``; a malformed one gets a sentence under the input
        pointing at the fault, and the filter in effect stays (False)."""
        try:
            self.message_list.set_filter(query)
        except PatternError as error:
            self.filter_box.show_error(error)
            return False
        self.filter_box.show_error(None)
        if remember:
            self.filter_history.add(query)
        self._show_filter()
        return True

    def _show_filter(self) -> None:
        result = self.message_list.filter_result
        self.status.update_status(filter=self.message_list.filter_text if result else "",
                                  counts=result.counts() if result else "")

    def _marks_edited(self, keys: list[str] | None = None) -> None:
        self.message_list.refresh_rows(keys or ())
        self.update_marks_status()

    def action_toggle_mark(self) -> None:
        """``d``: mark or unmark and move on; on a collapsed thread, all of it (asks first)."""
        row = self.message_list.current
        if row is None:
            return
        if self.message_list.collapsed_count(row.uid) > 1:
            self._mark_thread(row.uid)
            return
        self.mailbox.toggle_mark(row.uid)
        self._marks_edited([row.uid])
        self.message_list.cursor_down()

    @work(exclusive=True, group="mark", exit_on_error=False)
    async def _mark_thread(self, root: str) -> None:
        """Mark (or, when all are marked, unmark) every message of a collapsed thread, after
        a dialog that says how many."""
        from popui.screens.confirm_action import ConfirmAction

        members = self.message_list.thread_of(root)
        keys = [member.uid for member in members]
        unmark = all(key in self.mailbox.marks for key in keys)
        verb = "Unmark" if unmark else "Mark"
        ok = await self.app.push_screen_wait(ConfirmAction(
            f"{verb} the {len(keys)} messages of this collapsed thread"
            f"{'' if unmark else ' for deletion'}?",
            [member.subject for member in members], f"{verb} all {len(keys)}",
        ))
        if not ok:
            return
        if unmark:
            self.mailbox.unmark(keys)
        else:
            self.mailbox.mark(keys)
        self._marks_edited(keys)
        self.notify(f"{'Unmarked' if unmark else 'Marked'} {len(keys)} messages.")
        self.message_list.cursor_down()

    def action_toggle_thread(self) -> None:
        if not self.message_list.toggle_thread():
            self.notify("Sort by thread first (o t): v folds the thread, V every thread.")

    def action_toggle_all_threads(self) -> None:
        if not self.message_list.toggle_all_threads():
            self.notify("Sort by thread first (o t): v folds the thread, V every thread.")

    def mark_and_move_on(self, key: str) -> None:
        """``d`` in the full view: mark that message (never unmark) and move past it."""
        self.mailbox.mark([key])
        self._marks_edited([key])
        self.message_list.move_to_uid(key)
        self.message_list.cursor_down()

    def action_unmark(self) -> None:
        """``u``: unmark the message (a collapsed thread: every message of it)."""
        row = self.message_list.current
        if row is None:
            return
        keys = [member.uid for member in self.message_list.thread_of(row.uid)] \
            if self.message_list.collapsed_count(row.uid) > 1 else [row.uid]
        self.mailbox.unmark(keys)
        self._marks_edited(keys)

    def action_unmark_all(self) -> None:
        self.mailbox.unmark(list(self.mailbox.marks))
        self._marks_edited()

    def action_mark_filtered(self) -> None:
        if not self.message_list.filter_text:
            self.notify("Filter first (/): D marks every message the filter shows.")
            return
        result = self.message_list.filter_result  # collapsed threads' hidden rows too
        shown = result.rows if result is not None else self.message_list.view
        keys = [row.uid for row in shown]
        self.mailbox.mark(keys)
        self._marks_edited()
        self.notify(f"Marked {len(keys)} message(s).")

    def update_marks_status(self) -> None:
        rows = self.mailbox.marked_rows()
        self.status.update_status(marked=len(rows), marked_bytes=sum(r.size for r in rows))

    def action_commit(self) -> None:
        self.commit_flow()

    @work(exclusive=True, group="commit", exit_on_error=False)
    async def commit_flow(self, quit_after: bool = False) -> None:
        """Key -> confirm -> Mailbox -> session; the result comes back as CommitDone/Failed."""
        rows = self.mailbox.marked_rows()
        if not rows:
            self.notify("Nothing is marked. Mark messages with d first.")
            return
        if not self.mailbox.connection.is_connected:
            self.notify("Not connected: nothing can be deleted now.", severity="warning")
            return
        ok = await self.app.push_screen_wait(ConfirmCommit(
            len(rows), sum(row.size for row in rows), [row.describe() for row in rows],
        ))
        if not ok:
            return
        self._quit_after_commit = quit_after
        self.status.update_status(note="committing…")
        self.mailbox.commit([row.uid for row in rows], reconnect=not quit_after)

    def action_refresh(self) -> None:
        if self._retry_timer is not None:
            self.retry_login()
        elif self.mailbox.session is None:
            self.login()
        else:
            self.mailbox.submit(Refresh())

    def action_info(self) -> None:
        from popui.screens.info import InfoScreen

        connected = self.mailbox.connection.connected
        if connected is None:
            self.notify("Not connected yet.")
            return
        account = self.mailbox.account
        self.app.push_screen(InfoScreen.from_connected(
            connected, f"{account.host}:{account.effective_port}"))

    def action_protocol_log(self) -> None:
        from popui.screens.protocol_log import ProtocolLogScreen

        def set_level(level: int) -> None:
            if self.mailbox.session is not None:
                self.mailbox.submit(SetDebugLevel(level))
            else:
                self.mailbox.log.level = level

        self.app.push_screen(ProtocolLogScreen(self.mailbox.log, set_level))

    @work(exclusive=True, group="quit", exit_on_error=False)
    async def action_quit(self) -> None:
        """``q``: with marks pending, ask: commit and quit / quit keeping the marks for next
        time / quit forgetting them / cancel. Quitting never sends a DELE by itself."""
        marked = len(self.mailbox.marked_rows())
        if not marked:
            await self.leave()
            return
        choice = await self.app.push_screen_wait(QuitDialog(marked))
        if choice == "keep":
            await self.leave()
        elif choice == "forget":
            self.mailbox.clear_marks()
            await self.leave()
        elif choice == "commit":
            self.commit_flow(quit_after=True)

    async def leave(self) -> None:
        """End the session (``QUIT``, no ``DELE``), finish the store's writes, exit the app."""
        self._leaving = True
        await asyncio.to_thread(self.mailbox.stop)
        self.app.exit()
