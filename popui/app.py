"""PopuiApp: themes, keys, the session's life cycle and the one place errors are routed.

The POP3 session runs on its own thread (`popui.pop3.session`); its events arrive here as
`SessionEvent` messages and go to the main screen (rows, preview, status) and to whichever
view is on top. Notices become toasts, fatal errors a dialog; nothing prints a traceback.
Leaving the app, by any route, ends the session with ``QUIT`` and no ``DELE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from popui.commands import APP_COMMANDS, MAIN_COMMANDS, bindings, check_keymap
from popui.config import Settings
from popui.crash import write_crash_report
from popui.mail.headers import HeaderSummary, summarize_headers
from popui.mail.sanitize import clean_block, clean_line
from popui.messages import CachedHeaders, SessionEvent, WorkerFailed
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.marks import Marks
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Commit, Connect, Request, Retrieve, SetDebugLevel
from popui.pop3.session import Pop3Session
from popui.rows import SORT_KEYS, Row
from popui.screens.confirm import ConfirmCommit, ErrorDialog, QuitDialog
from popui.screens.help import HelpScreen
from popui.screens.main import MainScreen
from popui.screens.message_view import MessageView
from popui.store.state import LocalState
from popui.themes import POPUI_THEME, load_theme_files, mail_variable_defaults


class PopuiApp(App[None]):
    """The popui terminal app for one POP3 account."""

    CSS_PATH = "popui.tcss"
    TITLE = "popui"
    BINDINGS = bindings(APP_COMMANDS)

    def __init__(
        self,
        settings: Settings | None = None,
        account: Account | None = None,
        secrets: Any = None,
        debug_level: int = 0,
        log_file: str | Path | None = None,
        config_path: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        session_options: dict[str, Any] | None = None,
        theme_dirs: Iterable[Path] | None = None,
        state_folder: Path | bool = True,
        crash_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.account = account
        self.secrets = secrets
        self.protocol_log = ProtocolLog(level=debug_level, path=log_file)
        self.config_path = config_path if config_path is not None else self.settings.path
        self.clock = clock
        self.session_options = session_options or {}
        self.theme_dirs = theme_dirs
        self.state_folder = state_folder
        self.crash_folder = crash_folder
        """Where a crash report goes (default: the state dir)."""
        """Where local state lives: a folder, True for the platform state dir, False for none."""
        self.session: Pop3Session | None = None
        self.marks = Marks()
        self.connected: ev.Connected | None = None
        self.store: LocalState | None = None
        self._password_to_remember: str | None = None
        self._credentials: Credentials | None = None
        """The last credentials logged in with: a refused-for-now login is retried with them."""
        self._retry_timer: Timer | None = None
        self._reconnect_toasted = False
        self._quit_after_commit = False
        self._theme_ready = False
        self.last_save_folder: Path | None = None
        """Where the full view saved last; offered first the next time."""

    # -- set-up ----------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return mail_variable_defaults(self.current_theme)

    async def on_mount(self) -> None:
        self._setup_themes()
        self._setup_keymap()
        self.main = MainScreen(
            account_label=self._account_label(),
            preview=self.settings.ui.preview,
            preview_lines=self.account.preview_lines if self.account else 20,
            clock=self.clock,
            date_format=self.settings.ui.date_format,
        )
        await self.push_screen(self.main)
        self.main.attach_marks(self.marks)
        self._open_store()
        if self.account is None:
            self.choose_account()
        else:
            self.connect()

    def _account_label(self) -> str:
        if self.account is None:
            return "no account"
        return f"{self.account.user}@{self.account.host}"

    def _setup_themes(self) -> None:
        self.register_theme(POPUI_THEME)
        loaded = load_theme_files(self.theme_dirs)
        for theme in loaded.themes:
            self.register_theme(theme)
        if loaded.errors:
            self.notify("\n".join(loaded.errors), title="Theme files skipped",
                        severity="warning", markup=False, timeout=10)
        wanted = self.settings.ui.theme
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme = POPUI_THEME.name
            if wanted:
                self.notify(f"Unknown theme '{wanted}'; using '{POPUI_THEME.name}'.",
                            severity="warning", markup=False)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._theme_ready = True

    def _theme_changed(self, theme: Theme) -> None:
        if self._theme_ready and self.config_path is not None:
            self._save_theme(theme.name)

    @work(thread=True, exclusive=True, group="save-theme", exit_on_error=False)
    def _save_theme(self, name: str) -> None:
        from popui.config import ConfigError, save_ui_choice

        assert self.config_path is not None
        try:
            save_ui_choice(self.config_path, "theme", name)
        except (ConfigError, OSError) as error:
            self.call_from_thread(self.notify, f"Theme not saved: {error}",
                                  severity="warning", markup=False)

    def _setup_keymap(self) -> None:
        keymap = dict(self.settings.ui.keymap)
        problems = check_keymap(keymap)
        if problems:
            self.notify("\n".join(problems), title="Config", severity="warning", markup=False)
        self.set_keymap({name: keys for name, keys in keymap.items() if name not in problems})

    def _open_store(self) -> None:
        """Local state (opened messages, header cache) of the account, in the state dir."""
        if self.account is None or self.state_folder is False:
            return
        from popui.locations import state_dir
        from popui.store.state import LocalState

        try:
            folder = self.state_folder if isinstance(self.state_folder, Path) else state_dir()
            self.store = LocalState(folder, self.account.keyring_user)
        except (OSError, sqlite3.Error) as error:
            self.notify(f"Local state unavailable: {error}", severity="warning", markup=False)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def choose_account(self) -> None:
        """No account given: pick one of the configured accounts, or add the first one."""
        from popui.config import ConfigError, account_from_fields, save_account
        from popui.credentials import SecretSource
        from popui.screens.account_form import AccountForm
        from popui.screens.account_picker import AccountPicker

        accounts = self.settings.accounts
        if accounts:
            details = {name: f"{a.user}@{a.host}:{a.effective_port}"
                       for name, a in accounts.items()}
            name = await self.push_screen_wait(AccountPicker(list(accounts), details))
            if name is None:
                self.exit()
                return
            self.account = accounts[name]
            self.secrets = SecretSource.for_account(self.settings, name)
        else:
            answer = await self.push_screen_wait(AccountForm((), self.config_path))
            if answer is None:
                self.exit()
                return
            fields = dict(answer)
            name = fields.pop("name")
            account, secret_settings = account_from_fields(name, fields)
            if self.config_path is not None:
                try:
                    await asyncio.to_thread(save_account, self.config_path, name, fields)
                except (ConfigError, OSError) as error:
                    self.notify(f"Account not saved: {error}", severity="warning",
                                markup=False)
            self.account = account
            self.secrets = SecretSource(account, secret_settings.password_command,
                                        secret_settings.oauth2_token_command)
        self.main.account_label = self._account_label()
        self.main.status.update_status(account=self._account_label())
        self.main.preview_lines = self.account.preview_lines
        self._open_store()
        self.connect()

    # -- the session -----------------------------------------------------------------------

    def reconnect(self) -> None:
        """Log in again after a cancelled prompt or a session that ended."""
        if self.account is None:
            self.choose_account()
        else:
            self.connect()

    def submit(self, request: Request) -> None:
        if self.session is not None:
            self.session.submit(request)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, retry_message: str | None = None) -> None:
        """Get a secret (keyring, command, or a prompt) and log in."""
        assert self.account is not None
        credentials: Credentials | None = None
        if retry_message is None and self.secrets is not None:
            credentials = await asyncio.to_thread(self._stored_credentials)
        if credentials is None:
            answer = await self._prompt_password(retry_message)
            if answer is None:
                self.main.status.update_status(state="offline", note="not logged in")
                self.notify("Not logged in. Press r to try again.", markup=False)
                return
            password, remember = answer
            self._password_to_remember = password if remember else None
            credentials = Credentials(password=password)
        self._credentials = credentials
        if self.session is None:
            self.session = Pop3Session(
                self.account, self._from_session_thread, log=self.protocol_log,
                **self.session_options,
            )
            self.marks = self.session.marks
            self.main.attach_marks(self.marks)
            self.session.start(credentials)
        else:
            self.session.submit(Connect(credentials))

    def _stored_credentials(self) -> Credentials | None:
        """Runs in a thread: keyring and password commands may block."""
        from popui.credentials import SecretError

        assert self.account is not None
        try:
            if self.account.auth in ("xoauth2", "oauthbearer"):
                token = self.secrets.get_oauth_token()
                return Credentials(oauth_token=token) if token else None
            password = self.secrets.get_password()
        except SecretError as error:
            self.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return None
        return Credentials(password=password) if password is not None else None

    async def _prompt_password(self, message: str | None) -> tuple[str, bool] | None:
        from popui.screens.password_prompt import PasswordPrompt

        assert self.account is not None
        problem = "no keyring for this account"
        if self.secrets is not None:
            problem = await asyncio.to_thread(self.secrets.keyring_status)
        result: tuple[str, bool] | None = await self.push_screen_wait(
            PasswordPrompt(self._account_label(), message, keyring_problem=problem)
        )
        return result

    def _from_session_thread(self, event: ev.Event) -> None:
        """Called on the session thread: parse header blocks here, then hand over."""
        summaries: tuple[tuple[str, HeaderSummary], ...] = ()
        if isinstance(event, ev.HeadersFetched):
            summaries = tuple((uid, summarize_headers(raw)) for uid, raw in event.headers)
            if self.store is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.store.put_headers(event.headers)
        self.post_message(SessionEvent(event, summaries))

    @on(SessionEvent)
    def _session_event(self, message: SessionEvent) -> None:
        if not self.is_running:  # shutting down: the session posts until on_unmount stops it
            return
        event = message.event
        self.main.session_event(message)
        if isinstance(event, ev.RetrieveProgress | ev.MessageRetrieved | ev.RetrieveFailed):
            # The full view may sit under a dialog or the help: it still gets its message.
            for screen in self.screen_stack:
                if isinstance(screen, MessageView):
                    screen.session_event(event)
        if isinstance(event, ev.Connected):
            self.connected = event
            self._cancel_retry()
            if self._reconnect_toasted:
                self._reconnect_toasted = False
                self.notify("Connected again; marks were kept.", title="Reconnected")
            if self._password_to_remember is not None:
                self._remember_password(self._password_to_remember)
                self._password_to_remember = None
        elif isinstance(event, ev.LoginFailed):
            if event.wrong_credentials:
                self.connect(retry_message=event.message)
            elif event.retry_after:
                self._schedule_retry(event.retry_after)
                self.notify(
                    f"{event.message} Retrying in {event.retry_after:.0f} s; r retries now.",
                    title="Login refused for now", severity="warning", markup=False,
                )
            else:
                self.notify(event.message, title="Login refused", severity="warning",
                            markup=False)
        elif isinstance(event, ev.Fatal):
            self._quit_after_commit = False
            self._reconnect_toasted = False
            self.push_screen(ErrorDialog("The session stopped", event.message))
        elif isinstance(event, ev.Notice):
            severity = event.severity if event.severity in ("information", "warning",
                                                            "error") else "warning"
            self.notify(event.message, severity=severity, markup=False)  # type: ignore[arg-type]
        elif isinstance(event, ev.ConnectionLost):
            # One toast per outage; the status bar counts the attempts.
            if not self._reconnect_toasted:
                self._reconnect_toasted = True
                self.notify(f"{event.message} Reconnecting; the status bar shows progress.",
                            title="Connection lost", severity="warning", markup=False)
        elif isinstance(event, ev.CommitDone):
            self.notify(event.message, title="Committed", markup=False, timeout=8)
            if self._quit_after_commit:
                self.exit()
        elif isinstance(event, ev.CommitFailed):
            self._quit_after_commit = False
            self.push_screen(ErrorDialog("Commit failed", event.message))
        elif isinstance(event, ev.MessageRetrieved):
            self._remember_opened(event.uid)

    def _schedule_retry(self, delay: float) -> None:
        """The server refused the login for now (IN-USE, LOGIN-DELAY, SYS/TEMP): try again
        by itself after ``delay`` seconds, counting down in the status bar; ``r`` is now."""
        self._cancel_retry()
        self._retry_timer = self.set_timer(delay, self.retry_login)
        self.main.status.update_status(state="waiting",
                                       retry_at=self.main.status.clock() + delay)

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
        if self.session is not None and self._credentials is not None:
            self.session.submit(Connect(self._credentials))
        else:
            self.reconnect()

    @work(thread=True, exclusive=True, group="remember", exit_on_error=False)
    def _remember_password(self, password: str) -> None:
        problem = self.secrets.remember(password) if self.secrets is not None else None
        if problem:
            self.call_from_thread(self.notify, problem, title="Password not saved",
                                  severity="warning", markup=False)

    # -- local state -----------------------------------------------------------------------

    def apply_opened(self, rows: dict[str, Row]) -> None:
        """Mark the rows opened before (the store keeps their UIDLs)."""
        if self.store is None:
            return
        try:
            opened = self.store.opened_uids()
        except sqlite3.Error as error:
            self.notify(f"Local state unreadable: {error}", severity="warning", markup=False)
            return
        for uid in opened.intersection(rows):
            rows[uid].set_opened()

    def restore_headers(self, rows: list[Row]) -> None:
        """Fill these (few) rows from the header cache, on the spot."""
        if self.store is None or not rows:
            return
        with contextlib.suppress(sqlite3.Error):
            cached = self.store.get_headers(row.uid for row in rows)
            for row in rows:
                raw = cached.get(row.uid)
                if raw is not None:
                    row.fill(summarize_headers(raw))

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def load_cached_headers(self, generation: int, uids: tuple[str, ...]) -> None:
        """Parse cached headers off the UI thread, in chunks; always ends with a final one."""
        worker = get_current_worker()
        chunk = 1000
        for start in range(0, len(uids) if self.store is not None else 0, chunk):
            if worker.is_cancelled:
                return
            try:
                cached = self.store.get_headers(uids[start : start + chunk])  # type: ignore[union-attr]
            except sqlite3.Error:
                break
            if cached:
                summaries = tuple((uid, summarize_headers(raw)) for uid, raw in cached.items())
                self.post_message(CachedHeaders(generation, summaries, final=False))
        self.post_message(CachedHeaders(generation, (), final=True))

    @on(CachedHeaders)
    def _cached_headers(self, message: CachedHeaders) -> None:
        if self.is_running:
            self.main.cached_headers(message)

    @work(thread=True, exclusive=True, group="prune", exit_on_error=False)
    def prune_store(self, keep: tuple[str, ...]) -> None:
        """Forget cached state of messages no longer on the server (holds the store a while)."""
        if self.store is not None:
            with contextlib.suppress(sqlite3.Error):
                self.store.prune(keep)

    @work(thread=True, group="opened", exit_on_error=False)
    def _remember_opened(self, uid: str) -> None:
        """A write: it may wait up to the busy timeout for another popui on the same file."""
        if self.store is not None:
            with contextlib.suppress(sqlite3.Error):
                self.store.mark_opened(uid)

    # -- actions used by the screens ---------------------------------------------------------

    def open_message(self, uid: str) -> None:
        row = self.main.message_list.row(uid)
        if row is None:
            return
        if self.session is None:
            self.notify("Not connected.", severity="warning")
            return
        self.push_screen(MessageView(uid, row.size, row.subject),
                         partial(self._view_closed, uid))
        self.submit(Retrieve(uid))

    def _view_closed(self, uid: str, result: str | None) -> None:
        if result == "mark":
            self.main.mark_and_move_on(uid)

    def confirm_commit(self) -> None:
        self._commit_flow()

    @work(exclusive=True, group="commit", exit_on_error=False)
    async def _commit_flow(self, quit_after: bool = False) -> None:
        rows = self.main.marked_rows()
        if not rows:
            self.notify("Nothing is marked. Mark messages with d first.")
            return
        if self.session is None or self.main.status.status.state != "connected":
            self.notify("Not connected: nothing can be deleted now.", severity="warning")
            return
        ok = await self.push_screen_wait(ConfirmCommit(
            len(rows), sum(row.size for row in rows), [row.subject for row in rows],
        ))
        if not ok:
            return
        self._quit_after_commit = quit_after
        self.main.status.update_status(note="committing…")
        self.session.submit(Commit(tuple(row.uid for row in rows), reconnect=not quit_after))

    async def quit_asking(self) -> None:
        """``q``: with marks pending, ask commit and quit / quit without deleting / cancel."""
        marked = len(self.main.marked_rows())
        if not marked:
            await self.action_quit_now()
            return
        choice = await self.push_screen_wait(QuitDialog(marked))
        if choice == "discard":
            await self.action_quit_now()
        elif choice == "commit":
            self._commit_flow(quit_after=True)

    async def action_quit_now(self) -> None:
        """Quit at once: the session ends with QUIT and no DELE."""
        await self._stop_session()
        self.exit()

    async def action_quit(self) -> None:
        await self.action_quit_now()

    async def _stop_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await asyncio.to_thread(session.stop)

    def on_unmount(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.stop()
        store, self.store = self.store, None
        if store is not None:
            store.close()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (ours, the screens', Textual's): server text reaches here, so control
        characters become visible placeholders; untrusted text also comes with markup=False."""
        super().notify(clean_block(message), title=clean_line(title), severity=severity,
                       timeout=timeout, markup=markup)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._keymap))

    def show_info(self) -> None:
        from popui.screens.info import InfoScreen

        c = self.connected
        if c is None:
            self.notify("Not connected yet.")
            return
        server = f"{self.account.host}:{self.account.effective_port}" if self.account else ""
        self.push_screen(InfoScreen.from_connected(c, server))

    def show_protocol_log(self) -> None:
        from popui.screens.protocol_log import ProtocolLogScreen

        def set_level(level: int) -> None:
            if self.session is not None:
                self.session.submit(SetDebugLevel(level))
            else:
                self.protocol_log.level = level

        self.push_screen(ProtocolLogScreen(self.protocol_log, set_level))

    # -- errors and the palette ------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker error ends here (the screens' via ``WorkerFailed``): a dialog, never a
        traceback."""
        if event.state == WorkerState.ERROR:
            self._worker_failed(WorkerFailed(event.worker.error))

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        error = message.error
        self.push_screen(ErrorDialog(
            "Something went wrong", clean_line(f"{type(error).__name__}: {error}"),
        ))

    def _print_error_renderables(self) -> None:
        """A bug must not put a traceback on screen: Textual's shows local variables, which
        can hold a password. Write a plain one (no locals) to a private file instead."""
        error = self._exception
        if error is None or not self._exit_renderables:
            super()._print_error_renderables()
            return
        self._exit_renderables.clear()
        report = write_crash_report(error, self.crash_folder)
        where = f" Details: {report}" if report else ""
        self.error_console.print(
            f"popui stopped on an internal error; nothing was deleted.{where}",
            markup=False, highlight=False,
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if isinstance(screen, MainScreen):
            for command in MAIN_COMMANDS:
                yield SystemCommand(command.title, command.help,
                                    partial(screen.run_action, command.action))
            for key in SORT_KEYS:
                yield SystemCommand(f"Sort by {key}", f"Sort the list by {key}.",
                                    partial(screen.sort_by, key))
        for command in APP_COMMANDS:
            if command.palette:
                yield SystemCommand(command.title, command.help,
                                    partial(self.run_action, command.action.removeprefix("app.")))
        yield from super().get_system_commands(screen)
