"""``popui``: pick the account from the command line and the configuration, then run the app.

Errors in the command line or the configuration file end with a message on stderr and exit
status 2, never a traceback. Textual is imported only when the app really starts.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from popui import locations
from popui.cli.parser import build_command_parser, build_parser, command_for
from popui.config import ConfigError, Settings, account_from_fields, load_settings
from popui.credentials import Secrets, SecretSource, StaticSecret
from popui.pop3.account import Account
from popui.pop3.protocol_log import LogFileError, check_log_file

if TYPE_CHECKING:
    from popui.app import PopuiApp
    from popui.mailbox import Mailbox

#: Collect young objects every 50,000 allocations instead of 700: start-up and a filling list
#: allocate millions of objects that live on, and each collection walks them again (about a
#: tenth of a warm start went to that). Pauses stay a few milliseconds (`load_app` freezes the
#: imported objects).
GC_THRESHOLDS = (50_000, 20, 100)

_AD_HOC = ("host", "port", "user", "security", "auth", "ca_file", "password_command",
           "allow_plaintext_password")


def start_mailbox(account: Account, secrets: Secrets, *, debug_level: int = 0,
                  log_file: Path | None = None, store_folder: Path | None) -> Mailbox:
    """The account's Mailbox, logging in with the stored secret on threads of its own."""
    from popui.mailbox import Mailbox
    from popui.pop3.protocol_log import ProtocolLog

    mailbox = Mailbox(account, log=ProtocolLog(level=debug_level, path=log_file),
                      store_folder=store_folder)
    mailbox.log_in_early(secrets)
    return mailbox


def load_app() -> type[PopuiApp]:
    """Import the TUI, then set aside what the imports made (`gc.freeze`): it lives as long as
    the app, and no collection needs to walk it again."""
    from popui.app import PopuiApp

    gc.freeze()
    return PopuiApp


def run_app(
    *, settings: Settings, account: Account | None, secrets: Secrets | None, debug_level: int,
    log_file: Path | None, config_path: Path, keep_state: bool = True,
) -> int:
    """Start the TUI (the one place tests patch to stop short of it).

    With an account known, its Mailbox starts first and logs in with the stored secret while
    Textual is imported and the screen is built: those round trips cost nothing then."""
    mailbox = None
    if account is not None and secrets is not None:
        mailbox = start_mailbox(account, secrets, debug_level=debug_level, log_file=log_file,
                                store_folder=locations.state_dir() if keep_state else None)
    app = load_app()(
        settings=settings, account=account, secrets=secrets, debug_level=debug_level,
        log_file=log_file, config_path=config_path, state_folder=keep_state, mailbox=mailbox,
    )
    try:
        app.run()
    finally:
        if mailbox is not None:  # the app stops it when it ran; not if it failed to start
            mailbox.stop()
    return app.return_code or 0


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def ad_hoc_account(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Account:
    """The account described by ``--host``, ``--user`` and friends (``parser.error`` if bad)."""
    if not args.user:
        parser.error("--host needs --user")
    fields = {key: getattr(args, key) for key in _AD_HOC if getattr(args, key) is not None}
    fields.pop("password_command", None)
    if "ca_file" in fields:
        fields["ca_file"] = str(Path(fields["ca_file"]).expanduser().resolve())
    try:
        account, _ = account_from_fields(f"{args.user}@{args.host}", fields)
    except ConfigError as exc:
        parser.error(f"{_flag((exc.key or '').rsplit('.', 1)[-1])}: {exc.problem}")
    return account


def choose_account(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser,
) -> tuple[Account | None, Secrets | None]:
    """The account to open and its secrets, or ``(None, None)`` to let the app ask
    (the "add account" form on first run, a picker when several have no default)."""
    if args.name and args.account_name:
        parser.error("give the account as NAME or as --account NAME, not both")
    name = args.account_name or args.name
    if args.host:
        if name:
            parser.error("--host describes an ad-hoc account; leave out the account NAME")
        account = ad_hoc_account(args, parser)
        return account, SecretSource(account, args.password_command)
    given = [_flag(key) for key in _AD_HOC if getattr(args, key) is not None]
    if given:
        parser.error(f"ad-hoc account options ({', '.join(given)}) need --host; "
                     f"configured accounts are changed in {settings.path}")
    name = name or settings.default_account
    if name is None:
        return None, None
    if name not in settings.accounts:
        known = ", ".join(settings.accounts) or "none yet; add one with `popui account add`"
        parser.error(f"no account named {name!r} in {settings.path} (accounts: {known})")
    return settings.accounts[name], SecretSource.for_account(settings, name)


def run_demo(args: argparse.Namespace, settings: Settings, config_path: Path,
             log_file: Path | None) -> int:
    from popui.demo import start_demo_server

    server = start_demo_server()
    try:
        return run_app(
            settings=settings, account=server.account(), secrets=StaticSecret(server.password),
            debug_level=args.debug_level, log_file=log_file, config_path=config_path,
            keep_state=False,  # a new port each run: nothing worth remembering
        )
    finally:
        server.stop()


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def run_fetch_command(args: argparse.Namespace) -> int:
    """``popui fetch``: the account as for the app (same checks and sentences), then fetch."""
    from popui.cli.fetch import run_fetch

    config_path = _path(args.config) or locations.config_file()
    settings = load_settings(config_path)
    _log_file(args.log_file)
    account, secrets = choose_account(args, settings, args.fetch_parser)
    if account is None or secrets is None:
        known = ", ".join(settings.accounts)
        args.fetch_parser.error(
            f"which account? name one (configured in {config_path}: {known})" if known else
            f"no account in {config_path}: add one with `popui account add`, or give --host "
            "and --user")
        return 2  # not reached: error() exits with status 2
    return run_fetch(args, account, secrets, config_path, configured=not args.host)


def _log_file(value: str | None) -> Path | None:
    """``--log-file``, checked writable now: later, the session could only go quiet."""
    path = _path(value)
    if path is not None:
        check_log_file(path)
    return path


def _main(argv: list[str]) -> int:
    parser = build_parser()
    if command := command_for(argv, parser):
        args = build_command_parser().parse_args(argv)
        if command == "fetch":
            return run_fetch_command(args)
        from popui.cli.commands import run_command

        return run_command(args)
    args = parser.parse_args(argv)
    config_path = _path(args.config) or locations.config_file()
    settings = load_settings(config_path)
    log_file = _log_file(args.log_file)
    if args.demo:
        if args.name or args.account_name or args.host:
            parser.error("--demo opens the demo mailbox; leave out the account")
        return run_demo(args, settings, config_path, log_file)
    account, secrets = choose_account(args, settings, parser)
    return run_app(
        settings=settings, account=account, secrets=secrets, debug_level=args.debug_level,
        log_file=log_file, config_path=config_path,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status (0 ok, 1 failed, 2 usage or configuration error)."""
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except (ConfigError, LogFileError) as exc:
        print(f"popui: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be created, a file that cannot be read...
        print(f"popui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
