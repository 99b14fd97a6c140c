"""PopuiApp: themes, keys, the palette, the account choice and the one place errors are routed.

It only picks the account and pushes the main screen bound to a `Mailbox` (no Textual there),
which owns the session, the rows, the marks and the local store. Worker errors end in one
dialog; nothing prints a traceback. Leaving the app, by any route, ends the session with
``QUIT`` and no ``DELE``; delete marks are saved as they change, so they survive any exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from popui.commands import APP_COMMANDS, MAIN_COMMANDS, bindings, check_keymap
from popui.config import Settings
from popui.crash import write_crash_report
from popui.mail.sanitize import clean_block, clean_line
from popui.messages import WorkerFailed
from popui.pop3 import events as ev
from popui.pop3.account import Account
from popui.pop3.protocol_log import ProtocolLog
from popui.rows import SORT_KEYS
from popui.screens.confirm import ErrorDialog
from popui.screens.help import HelpScreen
from popui.screens.main import MainScreen
from popui.themes import POPUI_THEME, load_theme_files, mail_variable_defaults

if TYPE_CHECKING:
    from popui.mailbox import Mailbox


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
        mailbox: Mailbox | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.account = account
        self.secrets = secrets
        self.protocol_log = (mailbox.log if mailbox is not None
                             else ProtocolLog(level=debug_level, path=log_file))
        self.config_path = config_path if config_path is not None else self.settings.path
        self.clock = clock
        self.session_options = session_options or {}
        self.theme_dirs = theme_dirs
        self.state_folder = state_folder
        self.crash_folder = crash_folder
        """Where a crash report goes (default: the state dir)."""
        """Where local state lives: a folder, True for the platform state dir, False for none."""
        self.mailbox = mailbox
        """The account's Mailbox: given when it started before the app (`popui.__main__`),
        else made once the account is known."""
        self.main: MainScreen | None = None
        self._theme_ready = False
        self._saved_theme = ""
        self.last_save_folder: Path | None = None
        """Where the full view saved last; offered first the next time."""
        self._theme_notices = self._choose_theme()

    # -- set-up ----------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return mail_variable_defaults(self.current_theme)

    async def on_mount(self) -> None:
        self._setup_themes()
        self._setup_keymap()
        if self.account is None:
            self.choose_account()
        else:
            await self._open_mailbox()

    async def _open_mailbox(self) -> None:
        """The main screen, bound to the account's Mailbox (a new one unless it started before
        the app); the screen logs in, or takes over the login under way."""
        from popui.mailbox import Mailbox

        assert self.account is not None
        if self.mailbox is None:
            self.mailbox = Mailbox(self.account, log=self.protocol_log,
                                   store_folder=self._store_folder(),
                                   session_options=self.session_options)
        self.main = MainScreen(
            self.mailbox,
            secrets=self.secrets,
            account_label=self._account_label(),
            preview=self.settings.ui.preview,
            preview_lines=self.account.preview_lines,
            clock=self.clock,
            date_format=self.settings.ui.date_format,
            remember_choice=self.remember_ui_choice,
            trust=self.trust_certificate,
            named_filters=self.settings.ui.filters,
            browser=self.settings.ui.browser,
            opener=self.settings.ui.opener,
        )
        await self.push_screen(self.main)

    def _store_folder(self) -> Path | None:
        """Where the account's local state lives (opened messages, header cache, marks)."""
        if self.state_folder is False:
            return None
        if isinstance(self.state_folder, Path):
            return self.state_folder
        from popui.locations import state_dir

        return state_dir()

    def _account_label(self) -> str:
        if self.account is None:
            return "no account"
        return f"{self.account.user}@{self.account.host}"

    def _choose_theme(self) -> list[tuple[str, str]]:
        """Register popui's and the user's themes and take the configured one now, before the
        stylesheet is first parsed, as `App.__init__` takes its default: setting ``theme`` once
        the app runs parses every rule again and restyles every widget (a tenth of a warm
        start). Returns the notices, ``(title, text)``, to show once the app runs."""
        self.register_theme(POPUI_THEME)
        loaded = load_theme_files(self.theme_dirs)
        for theme in loaded.themes:
            self.register_theme(theme)
        notices = [("Theme files skipped", "\n".join(loaded.errors))] if loaded.errors else []
        wanted = self.settings.ui.theme
        name = wanted if wanted in self.available_themes else POPUI_THEME.name
        if wanted and wanted != name:
            notices.append(("", f"Unknown theme '{wanted}'; using '{name}'."))
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.set_class(True, f"-theme-{name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())
        self._saved_theme = name
        return notices

    def _setup_themes(self) -> None:
        for title, text in self._theme_notices:
            self.notify(text, title=title, severity="warning", markup=False, timeout=10)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._theme_ready = True

    def _theme_changed(self, theme: Theme) -> None:
        # The signal also fires for the theme set at start-up: write only a different choice.
        if self._theme_ready and self.config_path is not None and theme.name != self._saved_theme:
            self._saved_theme = theme.name
            self._save_theme(theme.name)

    async def trust_certificate(self, event: ev.CertificateRefused,
                                account: Account) -> Account | None:
        """The certificate dialog: the account to connect with (the certificate pinned for
        this session, or saved as ``tls_fingerprint``), or None when the user refuses."""
        from popui.screens.certificate import decide_certificate

        configured = self.config_path is not None and account.name in self.settings.accounts
        trusted = await decide_certificate(self, account, event.certificate, self.config_path,
                                           pinned=event.pinned, configured=configured)
        if trusted is not None:
            self.account = trusted
        return trusted

    def remember_ui_choice(self, key: str, value: str) -> None:
        """A ``[ui]`` setting the user changed in the app (the preview's place): saved."""
        if self.config_path is not None:
            self._save_ui_choice(key, value)

    @work(thread=True, group="save-ui", exit_on_error=False)
    def _save_ui_choice(self, key: str, value: str) -> None:
        from popui.config import ConfigError, save_ui_choice

        assert self.config_path is not None
        try:
            save_ui_choice(self.config_path, key, value)
        except (ConfigError, OSError) as error:
            self.call_from_thread(self.notify, f"Setting not saved: {error}",
                                  severity="warning", markup=False)

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

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def choose_account(self) -> None:
        """No account given: pick one of the configured accounts, or add the first one."""
        from popui.config import account_from_fields
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
            self.account = account
            self.secrets = SecretSource(account, secret_settings.password_command,
                                        secret_settings.oauth2_token_command)
            await self._open_mailbox()
            if self.config_path is not None and self.mailbox is not None:
                # As `popui account add`: saved only once the login has worked.
                self._save_after_login(self.mailbox, self.config_path, name, fields)
            return
        await self._open_mailbox()

    def _save_after_login(self, mailbox: Mailbox, path: Path, name: str,
                          fields: dict[str, Any]) -> None:
        from popui.config import ConfigError, save_account

        def listen(event: ev.Event) -> None:
            if isinstance(event, ev.Connected):
                mailbox.unsubscribe(listen)
                self.run_worker(save, thread=True, group="save-account", exit_on_error=False)
            elif isinstance(event, ev.Fatal):
                mailbox.unsubscribe(listen)
                self.notify("The account was not saved: the login did not work.",
                            severity="warning", markup=False)

        def save() -> None:
            try:
                save_account(path, name, fields)
            except (ConfigError, OSError) as error:
                self.call_from_thread(self.notify, f"Account not saved: {error}",
                                      severity="warning", markup=False)

        mailbox.subscribe(listen)

    # -- leaving ---------------------------------------------------------------------------

    async def action_quit_now(self) -> None:
        """Quit at once (Ctrl+C, Ctrl+Q): QUIT and no DELE; the marks stay saved for next time."""
        if self.mailbox is not None:
            await asyncio.to_thread(self.mailbox.stop)
        self.exit()

    async def action_quit(self) -> None:
        await self.action_quit_now()

    def on_unmount(self) -> None:
        if self.mailbox is not None:
            self.mailbox.stop()

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
        """The commands of the screen the palette opened on (``popui.commands``), the app's,
        one "Quit" that asks about marks, and Textual's own but its Quit (which would not)."""
        from popui.commands import palette_entries

        for title, text, action in palette_entries(screen):
            target = self if action.startswith("app.") else screen
            yield SystemCommand(title, text,
                                partial(target.run_action, action.removeprefix("app.")))
        if isinstance(screen, MainScreen):
            for key in SORT_KEYS:
                yield SystemCommand(f"Sort by {key}", f"Sort the list by {key}.",
                                    partial(screen.sort_by, key))
        elif self.main is not None:
            quit_command = next(c for c in MAIN_COMMANDS if c.id == "quit")
            yield SystemCommand(quit_command.title, quit_command.help,
                                partial(self.main.run_action, quit_command.action))
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command
