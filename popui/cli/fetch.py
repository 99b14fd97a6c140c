"""``popui fetch``: download new mail to a Maildir or an mbox, with a progress bar on a
terminal and one summary line. The work is done by ``popui.mailout.download``; this module
finds the destination and the password, logs in, and reports.

Exit status: 0 all saved, 1 stopped on a failure, 2 usage or configuration error, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from popui import locations
from popui.cli import commands
from popui.credentials import Secrets, stored_credentials
from popui.mail.sanitize import clean_line
from popui.mailout import Destination, WriteError, guess_format, open_destination
from popui.mailout.download import Download, Progress, download
from popui.pop3.account import OAUTH_METHODS, Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.errors import AuthFailed, Pop3Error
from popui.pop3.protocol_log import ProtocolLog
from popui.sizes import human_size
from popui.store.fetched import Busy, FetchedRecord

#: seconds between progress bar redraws
REDRAW = 0.1


def _err(message: str) -> None:
    print(f"popui: {message}", file=sys.stderr)


def size_text(size: int) -> str:
    """``1.2 MB``, ``38 KB``, ``512 B``: the app's units, spelt out for a sentence."""
    short = human_size(size)
    return f"{short[:-1]} {short[-1]}B" if short[-1] != "B" else f"{short[:-1]} B"


def shown_path(path: Path, maildir: bool) -> str:
    """The destination as the summary shows it: ``~`` for the home folder, ``/`` on Maildirs."""
    text = str(path.absolute())
    home = str(Path.home())
    if text == home or text.startswith(home + os.sep):
        text = "~" + text[len(home):]
    return text + os.sep if maildir and not text.endswith(os.sep) else text


def run_fetch(
    args: argparse.Namespace, account: Account, secrets: Secrets, config_path: Path,
    configured: bool,
) -> int:
    parser: argparse.ArgumentParser = args.fetch_parser
    dest = args.to or account.fetch_to
    if not dest:
        where = (f"set fetch_to in [accounts.{account.name}] of {config_path}" if configured
                 else "ad-hoc accounts have no fetch_to")
        parser.error(f"where to? give --to DEST (a Maildir folder/ or an mbox file), or {where}")
    kind = args.format or guess_format(dest)
    try:
        destination = open_destination(dest, kind)
    except WriteError as exc:
        _err(f"{exc} Nothing was fetched.")
        return 1
    credentials, typed = _credentials(account, secrets)
    if credentials is None:
        return 2
    log = ProtocolLog(args.debug_level, path=Path(args.log_file).expanduser()
                      if args.log_file else None)
    try:
        return _fetch(args, account, credentials, typed, destination, log)
    finally:
        log.close()


def _credentials(account: Account, secrets: Secrets) -> tuple[Credentials | None, bool]:
    """The credentials and whether the password was typed (then a wrong one is asked again)."""
    stored = stored_credentials(secrets, account)
    if stored.problem:
        _err(stored.problem)
        return None, False
    if stored.credentials is not None:
        return stored.credentials, False
    if account.auth in OAUTH_METHODS:
        _err(f"account {account.name!r} logs in with {account.auth} but has no "
             "oauth2_token_command.")
        return None, False
    if not sys.stdin.isatty():
        _err(f"no password for {account.keyring_user}: set password_command for the "
             "account, store it in the keyring (open the account in popui and tick "
             "\"Remember\"), or run popui fetch on a terminal to type it.")
        return None, False
    typed = _ask_password(account)
    return (Credentials(password=typed) if typed is not None else None), True


def _ask_password(account: Account) -> str | None:
    try:
        return commands.ask_secret(f"Password for {account.user} at {account.host} (not shown): ")
    except (EOFError, KeyboardInterrupt):
        print()
        return None


def _log_in(account: Account, credentials: Credentials, typed: bool,
            log: ProtocolLog) -> Pop3Client | None:
    """A logged-in client, or ``None`` after saying why not. A typed password that the server
    rejects is asked again (``LOGIN_ATTEMPTS`` times in all)."""
    for attempt in range(1, commands.LOGIN_ATTEMPTS + 1):
        try:
            client = Pop3Client(account, log=log)
        except (Pop3Error, OSError) as exc:
            _err(f"cannot connect: {clean_line(str(exc))} Nothing was fetched.")
            return None
        try:
            client.login(credentials)
            return client
        except (Pop3Error, OSError) as exc:
            with contextlib.suppress(Exception):
                client.quit()
            if typed and isinstance(exc, AuthFailed) and attempt < commands.LOGIN_ATTEMPTS:
                _err(f"login failed: {clean_line(str(exc))}")
                password = _ask_password(account)
                if password is None:
                    return None
                credentials = Credentials(password=password)
                continue
            _err(f"cannot log in: {clean_line(str(exc))} Nothing was fetched.")
            return None
    return None


def _fetch(args: argparse.Namespace, account: Account, credentials: Credentials, typed: bool,
           destination: Destination, log: ProtocolLog) -> int:

    shown = shown_path(destination.path, destination.kind == "maildir")
    try:
        record = FetchedRecord(locations.state_dir(), account.keyring_user,
                               os.path.realpath(destination.path))
    except Busy as exc:
        _err(f"{exc} Nothing was fetched.")
        return 1
    except Exception as exc:  # sqlite3.Error or OSError: an unusable state folder
        _err(f"cannot open the record of fetched messages in {locations.state_dir()}: {exc}. "
             "Nothing was fetched.")
        return 1
    with record:
        client = _log_in(account, credentials, typed, log)
        if client is None:
            return 1
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            with _terminate_as_interrupt():
                result = download(client, destination, record, save_all=args.all,
                                  delete=args.delete, on_progress=bar.update if bar else None)
        finally:
            if bar is not None:
                bar.clear()
    for note in result.notes:
        print(clean_line(note))
    if result.failure:
        _err(clean_line(result.failure))
    for number, text in result.refused:
        _err(f"the server refused to send message {number}"
             + (f" (server said: {clean_line(text)})" if text else "") + ".")
    print(summary(result, shown, delete=args.delete, save_all=args.all))
    if result.interrupted:
        return 130
    return 1 if result.failure or result.refused or _deletion_failed(result, args.delete) else 0


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run like Ctrl+C: the message being written is removed (or
    cut off the mbox) instead of being left half-written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _deletion_failed(result: Download, asked: bool) -> bool:
    return asked and bool(result.saved) and (not result.quit_confirmed or result.delete_refused > 0)


def summary(result: Download, shown: str, *, delete: bool = False,
            save_all: bool = False) -> str:
    """The one line at the end, e.g. ``30 new messages (1.2 MB) saved to ~/Mail/inbox/; 120
    already there``."""
    count = len(result.saved)
    if result.stopped and not result.listed:
        return f"Nothing was saved to {shown}" + (
            "; nothing was deleted on the server" if delete else "")
    noun = "message" if count == 1 else "messages"
    new = "" if save_all else "new "
    line = f"{count} {new}{noun} ({size_text(result.saved_bytes)}) saved to {shown}"
    if result.already:
        line += f"; {result.already} already there"
    if result.stopped:
        left = result.wanted - count - len(result.refused)
        why = "interrupted" if result.interrupted and not result.failure else "stopped"
        if left:
            line += (f"; {why} with {left} still to fetch (what was saved is recorded: "
                     "run popui fetch again to finish)")
        else:
            line += f"; {why} at the end"
        if delete and not result.quit_confirmed:
            line += "; nothing was deleted on the server"
        return line
    if result.refused:
        line += f"; {len(result.refused)} could not be fetched"
    if delete:
        line += "; " + _deletion(result)
    return line


def _deletion(result: Download) -> str:
    if not result.saved:
        return "nothing to delete on the server"
    if result.deleted is None or not result.quit_confirmed:
        acknowledged = result.deleted or 0
        return (f"deletion not confirmed: the server acknowledged {acknowledged} of "
                f"{len(result.saved)} DELE, but the connection ended before it acknowledged "
                "QUIT (the messages may still be on the server)")
    text = f"{result.deleted} deleted on the server"
    if result.delete_refused:
        text += f" ({result.delete_refused} refused by the server and kept there)"
    return text


class ProgressBar:
    """One line on a terminal: ``[=====>    ] 12/30 messages  1.2/3.4 MB  850 KB/s  ETA 0:03``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._drawn = 0.0
        self._shown = False

    def update(self, progress: Progress) -> None:
        now = time.monotonic()
        done = progress.messages == progress.total_messages
        if now - self._drawn < REDRAW and not done:
            return
        self._drawn = now
        self.stream.write("\r" + self.render(progress, now) + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def render(self, progress: Progress, now: float) -> str:
        width = max(10, min(30, shutil.get_terminal_size().columns - 60))
        # Time goes into bytes (the network) and into messages (an fsync each): the bar shows
        # the smaller share and the ETA the longer of the two estimates.
        message_share = progress.messages / max(progress.total_messages, 1)
        byte_share = min(1.0, progress.bytes / progress.total_bytes) if progress.total_bytes \
            else message_share
        share = min(message_share, byte_share)
        filled = int(share * width)
        bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
        elapsed = max(now - progress.started, 1e-6)
        rate = progress.bytes / elapsed
        eta = "--:--"
        if progress.messages and progress.bytes:
            seconds = int(max(
                (progress.total_bytes - progress.bytes) / rate,
                (progress.total_messages - progress.messages) * elapsed / progress.messages,
            ))
            eta = f"{seconds // 60}:{seconds % 60:02d}"
        return (f"[{bar[:width]}] {progress.messages}/{progress.total_messages} messages  "
                f"{size_text(progress.bytes)}/{size_text(progress.total_bytes)}  "
                f"{size_text(int(rate))}/s  ETA {eta}")

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
