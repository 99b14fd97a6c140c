"""``popui account add|list|forget`` and ``popui locate``: plain terminal commands, no TUI.

Questions go through ``ask_line`` and ``ask_secret`` (``input`` and ``getpass``), which tests
replace. Server text (capabilities) is cleaned before it reaches the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popui import locations
from popui.config import account_from_fields, load_settings, remove_account, save_account
from popui.credentials import KEYRING_SERVICE, SecretError, SecretSource, run_secret_command
from popui.mail.sanitize import clean_line
from popui.pop3.account import (
    DEFAULT_PORTS,
    OAUTH_METHODS,
    SECURITY_CHOICES,
    Account,
    Credentials,
)

if TYPE_CHECKING:
    from popui.pop3.transport import CertificateDetails

LOGIN_ATTEMPTS = 3


class Aborted(Exception):
    """The user ended the questions (EOF or Ctrl-C)."""


def ask_line(prompt: str) -> str:
    return input(prompt)


def ask_secret(prompt: str) -> str:
    return getpass.getpass(prompt)


def _ask(question: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
    hint = f" [{default}]" if default else ""
    while True:
        try:
            answer = ask_line(f"{question}{hint}: ").strip()
        except (EOFError, KeyboardInterrupt):
            raise Aborted from None
        answer = answer or (default or "")
        if not answer:
            print("  Please answer (Ctrl-D to give up).")
        elif choices and answer not in choices:
            print(f"  Please answer one of: {', '.join(choices)}.")
        else:
            return answer


def _ask_port(default: int) -> int:
    while True:
        answer = _ask("Port", str(default))
        if answer.isdigit() and 1 <= int(answer) <= 65535:
            return int(answer)
        print("  A port is a number from 1 to 65535.")


def _ask_password(account: Account) -> str:
    try:
        return ask_secret(f"Password for {account.user} at {account.host} (not shown): ")
    except (EOFError, KeyboardInterrupt):
        raise Aborted from None


def _err(message: str) -> None:
    print(f"popui: {message}", file=sys.stderr)


def _account_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The ``[accounts.NAME]`` table from flags and answers; only non-default values."""
    if args.host:  # server given on the command line: defaults for the rest, no questions
        host, security = args.host, args.security or "tls"
        port = args.port or DEFAULT_PORTS[security]
    else:
        host = _ask("POP3 server (host name)")
        security = args.security or _ask("Security (tls, starttls, none)", "tls",
                                         SECURITY_CHOICES)
        port = args.port or _ask_port(DEFAULT_PORTS[security])
    user = args.user or _ask("User name")
    fields: dict[str, Any] = {"host": host}
    if port != DEFAULT_PORTS[security]:
        fields["port"] = port
    fields.update(user=user, security=security)
    optional = {
        "auth": args.auth if args.auth not in (None, "auto") else None,
        "ca_file": str(Path(args.ca_file).expanduser().resolve()) if args.ca_file else None,
        "allow_plaintext_password": True if args.allow_plaintext_password else None,
        "password_command": args.password_command,
        "oauth2_token_command": args.oauth2_token_command,
        "default": True if args.default else None,
    }
    fields.update({key: value for key, value in optional.items() if value is not None})
    return fields


def _test_connection(account: Account) -> tuple[str | None, CertificateDetails | None]:
    """Connect, read the greeting and capabilities, and leave: a wrong host, port, security or
    certificate is reported before a password is asked for. Returns an error message (None when
    all is well) and, for an untrusted certificate, its details."""
    from popui.pop3.client import check_server
    from popui.pop3.errors import Pop3Error, UntrustedCertificate

    print(f"Connecting to {account.host}:{account.effective_port} ({account.security})…")
    try:
        check_server(account)
    except UntrustedCertificate as exc:
        return f"cannot connect: {clean_line(str(exc))}", exc.certificate
    except (Pop3Error, OSError) as exc:
        return f"cannot connect: {clean_line(str(exc))}", None
    return None, None


def _certificate_text(certificate: CertificateDetails) -> str:
    first, second = certificate.fingerprint_lines()
    return "\n".join([
        f"The certificate of {certificate.host}:{certificate.port} is not trusted.",
        f"  Problem  {clean_line(certificate.problem)}",
        f"  Subject  {clean_line(certificate.subject)}",
        f"  Issuer   {clean_line(certificate.issuer)}",
        f"  Valid    {certificate.validity(datetime.now(UTC))}",
        f"  SHA-256  {first}",
        f"           {second}",
        "Compare the fingerprint with the one the server's administrator gives you.",
    ])


def _connect_trusting(account: Account, fields: dict[str, Any]) -> tuple[Account | None, str]:
    """Connect before asking for a password. An untrusted certificate is shown, and the user
    refuses it, accepts it for this test only, or always (``tls_fingerprint`` is added to
    ``fields``). Returns the account to log in with (None: stop) and why it stopped."""
    problem, certificate = _test_connection(account)
    if problem is None:
        return account, ""
    if certificate is None:
        return None, problem
    print(_certificate_text(certificate))
    answer = _ask("Refuse it, accept it once (for this test), or always (saved as "
                  "tls_fingerprint)? r/o/a", "r", ("r", "o", "a"))
    if answer == "r":
        return None, "certificate refused"
    pinned = dataclasses.replace(account, tls_fingerprint=certificate.sha256)
    if answer == "a":
        fields["tls_fingerprint"] = certificate.sha256
    problem, _ = _test_connection(pinned)
    return (pinned, "") if problem is None else (None, problem)


def _test_login(account: Account, credentials: Credentials) -> str | None:
    """Log in and out; print the capabilities. Returns an error message, or None on success."""
    from popui.pop3.client import Pop3Client
    from popui.pop3.errors import AuthFailed, Pop3Error

    try:
        client = Pop3Client(account)
    except (Pop3Error, OSError) as exc:
        return f"cannot connect: {clean_line(str(exc))}"
    try:
        method = client.login(credentials)
        capabilities = client.capabilities
    except AuthFailed as exc:
        return f"login failed: {clean_line(str(exc))}"
    except (Pop3Error, OSError) as exc:
        return f"cannot log in: {clean_line(str(exc))}"
    finally:
        with contextlib.suppress(Exception):
            client.quit()
    print(f"Logged in as {account.user} with {method.upper()}.")
    if capabilities.raw:
        print("Server capabilities:")
        for line in capabilities.raw:
            print(f"  {clean_line(line)}")
    else:
        print("The server lists no capabilities (no CAPA).")
    return None


def account_add(args: argparse.Namespace, config_path: Path) -> int:
    settings = load_settings(config_path)
    try:
        name = args.name or _ask("Account name (e.g. work)")
        if name in settings.accounts:
            answer = _ask(f"Account {name!r} exists in {config_path}. Replace it? (y/n)", "n")
            if answer.lower() not in ("y", "yes"):
                print("Nothing changed.")
                return 1
        fields = _account_fields(args)
        account, secrets = account_from_fields(name, fields)
        trusted, refusal = _connect_trusting(account, fields)
        if trusted is None:
            _err(refusal)
            print("Nothing was saved.")
            return 1
        account = trusted
        password = token = None
        typed = False
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            if account.auth in OAUTH_METHODS or secrets.oauth2_token_command:
                if not secrets.oauth2_token_command:
                    _err(f"--auth {account.auth} needs --oauth2-token-command")
                    return 2
                token = run_secret_command(secrets.oauth2_token_command, "oauth2_token_command")
            elif secrets.password_command:
                password = run_secret_command(secrets.password_command, "password_command")
            else:
                password, typed = _ask_password(account), True
            problem = _test_login(account, Credentials(password=password, oauth_token=token))
            if problem is None:
                break
            _err(problem)
            if not (typed and problem.startswith("login failed")) or attempt == LOGIN_ATTEMPTS:
                print("Nothing was saved.")
                return 1
    except Aborted:
        print("\nNothing was saved.")
        return 1
    except SecretError as exc:
        _err(str(exc))
        print("Nothing was saved.")
        return 1
    save_account(config_path, name, fields)
    print(f"Account {name!r} saved in {config_path}.")
    if typed and password is not None:
        problem = SecretSource(account).remember(password)
        if problem:
            print(problem)
        else:
            print(f"Password stored in the keyring (service {KEYRING_SERVICE!r}, "
                  f"entry {account.keyring_user!r}).")
    return 0


def account_list(config_path: Path) -> int:
    settings = load_settings(config_path)
    if not settings.accounts:
        print(f"No accounts in {config_path}. Add one with: popui account add")
        return 0
    print(f"Accounts in {config_path}:")
    width = max(len(name) for name in settings.accounts)
    for name, account in settings.accounts.items():
        secrets = settings.secrets[name]
        source = ("password_command" if secrets.password_command
                  else "oauth2_token_command" if secrets.oauth2_token_command else "keyring/prompt")
        mark = "  (default)" if name == settings.default_account else ""
        print(f"  {name:<{width}}  {account.keyring_user}  {account.security}, "
              f"auth {account.auth}, password from {source}{mark}")
    return 0


def account_forget(name: str, remove: bool, config_path: Path) -> int:
    settings = load_settings(config_path)
    if name not in settings.accounts:
        known = ", ".join(settings.accounts) or "none"
        _err(f"no account named {name!r} in {config_path} (accounts: {known})")
        return 2
    account = settings.accounts[name]
    if remove:  # first: if the file cannot be edited, nothing at all has changed
        try:
            remove_account(config_path, name)
        except KeyError:  # defined inline or with dotted keys, not as its own table
            _err(f"account {name!r} is not written as an [accounts.{name}] table in "
                 f"{config_path}; please remove it by hand")
            return 2
        print(f"Removed account {name!r} from {config_path}.")
    try:
        removed = SecretSource(account).forget()
    except SecretError as exc:
        _err(str(exc))
        removed = None
    if removed:
        print(f"Deleted the keyring entry {account.keyring_user!r}.")
    elif removed is False:
        print(f"No keyring entry for {account.keyring_user!r}.")
    return 0 if removed is not None or remove else 1


def locate(what: str, config_path: Path) -> int:
    folders = {
        "themes": locations.themes_dir,
        "cache": locations.cache_dir,
        "state": locations.state_dir,
    }
    print(config_path if what == "config" else folders[what]())
    return 0


def run_command(args: argparse.Namespace) -> int:
    """Dispatch a parsed ``account``/``locate`` command. ``ConfigError`` propagates."""
    config_path = Path(args.config).expanduser() if args.config else locations.config_file()
    if args.command == "locate":
        return locate(args.what, config_path)
    if args.action == "add":
        return account_add(args, config_path)
    if args.action == "list":
        return account_list(config_path)
    return account_forget(args.name, args.remove, config_path)

