"""The command line: ``popui [options] [NAME]`` plus the ``account``, ``fetch`` and ``locate``
commands.

argparse cannot mix an optional positional (NAME) with sub-commands, so there are two parsers:
``command_for`` looks at the first positional word and picks one. An account literally named
``account``, ``fetch`` or ``locate`` is opened with ``popui --account NAME``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from popui import __version__
from popui.pop3.account import AUTH_CHOICES, SECURITY_CHOICES

COMMANDS = ("account", "fetch", "locate")
LOCATIONS = ("config", "themes", "cache", "state")

_DESCRIPTION = """\
A terminal mail browser for POP3 mailboxes: list, preview and read without marking anything
seen, and delete selectively.

  popui                 open the default account (a picker when there are several and
                        none is the default; an "add account" form on first run)
  popui NAME            open the account NAME from the configuration file
  popui --host H --user U [--port P] [--security tls|starttls|none]
                        open a mailbox without any configuration
  popui --demo          open the embedded demo mailbox"""

_EPILOG = """\
commands:
  popui account add [NAME] [--host H] [--port P] [--user U] [--security S] [--auth A]
                    [--ca-file F] [--password-command CMD] [--oauth2-token-command CMD]
                    [--allow-plaintext-password] [--default]
                        ask what is missing, test the login (showing the server's
                        capabilities), save the account to the configuration file and
                        the password to the keyring
  popui account list    list the configured accounts
  popui account forget NAME [--remove]
                        delete the account's password from the keyring; --remove also
                        deletes the account from the configuration file
  popui fetch [NAME] [--to DEST] [--format maildir|mbox] [--all] [--delete]
                        download new messages to a Maildir or an mbox (see
                        `popui fetch --help`)
  popui locate config|themes|cache|state
                        print where popui keeps that file or folder

passwords, in this order: the account's password_command (first line of its output), the
keyring (service "popui", entry user@host:port), then a prompt that can remember it.

environment: POPUI_CONFIG_FILE (configuration file), XDG_CONFIG_HOME, XDG_CACHE_HOME,
XDG_STATE_HOME (base folders). Exit status 2 means a usage or configuration error."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def _add_connection_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--host", metavar="H", help="POP3 server host name")
    parser.add_argument("--port", metavar="P", type=_port,
                        help="port (default: 995 for tls, 110 for starttls and none)")
    parser.add_argument("--user", metavar="U", help="user name on the server")
    parser.add_argument("--security", choices=SECURITY_CHOICES,
                        help="tls (default), starttls or none")
    parser.add_argument("--auth", choices=AUTH_CHOICES, metavar="METHOD",
                        help=f"login method: {', '.join(AUTH_CHOICES)} (default: auto)")
    parser.add_argument("--ca-file", metavar="F", help="trust the CA certificates in F (PEM)")
    parser.add_argument("--password-command", metavar="CMD",
                        help="shell command printing the password on its first line")
    parser.add_argument("--allow-plaintext-password", action="store_true", default=None,
                        help="allow sending the password unencrypted to a non-loopback host")


def _add_config_option(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument("--config", metavar="FILE", default=default,
                        help="configuration file (default: $POPUI_CONFIG_FILE or "
                        "config.toml in the config folder; see `popui locate config`)")


def build_parser() -> argparse.ArgumentParser:
    """``popui [options] [NAME]``: open a mailbox."""
    parser = argparse.ArgumentParser(
        prog="popui", description=_DESCRIPTION, epilog=_EPILOG, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] [NAME]\n"
              "       %(prog)s account add|list|forget ...\n"
              "       %(prog)s fetch [NAME] --to DEST [--all] [--delete] ...\n"
              "       %(prog)s locate config|themes|cache|state",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="account to open")
    parser.add_argument("--account", metavar="NAME", dest="account_name",
                        help="account to open (for names like 'account' or 'locate')")
    _add_config_option(parser)
    parser.add_argument("--demo", action="store_true",
                        help="open the embedded demo mailbox (sample mail served on this machine)")
    parser.add_argument("--log-file", metavar="F",
                        help="append the protocol log to F (passwords are always redacted)")
    parser.add_argument("--debug-level", metavar="0|1|2", type=int, choices=(0, 1, 2), default=0,
                        help="protocol log detail: 0 none, 1 commands and replies, "
                        "2 everything (default 0)")
    parser.add_argument("--version", action="version", version=f"popui {__version__}")
    _add_connection_options(parser.add_argument_group(
        "ad-hoc account (no configuration file needed; --host and --user are required)"))
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    """``popui [--config FILE] account ...`` and ``popui locate ...``."""
    parser = argparse.ArgumentParser(prog="popui", allow_abbrev=False)
    _add_config_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    account = commands.add_parser("account", help="add, list or forget accounts")
    actions = account.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", help="add an account: asks what is missing, tests the login, saves it",
        description="Ask for what is not given (with --host, only the user name and the "
        "password), test the login (showing the server's capabilities), then save the "
        "account to the configuration file and the password to the keyring.",
    )
    add.add_argument("name", nargs="?", metavar="NAME", help="account name (asked if missing)")
    _add_connection_options(add)
    add.add_argument("--oauth2-token-command", metavar="CMD",
                     help="shell command printing an OAuth2 access token (xoauth2, oauthbearer)")
    add.add_argument("--default", action="store_true", help="make it the default account")
    listing = actions.add_parser("list", help="list the configured accounts")
    forget = actions.add_parser(
        "forget", help="delete an account's password from the keyring",
        description="Delete the account's password from the keyring. The account stays in "
        "the configuration file unless --remove is given.",
    )
    forget.add_argument("name", metavar="NAME")
    forget.add_argument("--remove", action="store_true",
                        help="also remove the account from the configuration file")

    _add_fetch_parser(commands)

    locate = commands.add_parser("locate", help="print where popui keeps its files")
    locate.add_argument("what", choices=LOCATIONS)
    # --config anywhere: on every (sub)command; SUPPRESS keeps a --config given before it.
    for sub in (account, add, listing, forget, locate):
        _add_config_option(sub, argparse.SUPPRESS)
    return parser


_FETCH_DESCRIPTION = """\
Download the messages of an account that were not saved to DEST before, each exactly once, as
the server sent them (dot-unstuffed, LF line endings).

DEST is a Maildir when it is an existing folder or ends in "/" (cur/ new/ tmp/ are created;
each message is written to tmp/, fsynced, then renamed into new/), and an mbox otherwise
(mboxrd "From " quoting, locked with fcntl and a DEST.lock dot-lock, appended, fsynced).
--format overrides the guess. Without --to, the account's fetch_to setting is used.

popui records, per account and destination, the UIDL of every message as soon as its copy is
fsynced (in `popui locate state`): a second run saves nothing new, and a run cut short (Ctrl+C,
a dropped connection, a full disk) finishes without duplicates when run again. Servers
without unique UIDLs: messages are recognised by size and header block instead (a note says
so). A message is never deleted on the server unless it is safely on disk."""

_FETCH_EPILOG = """\
examples:
  popui fetch --to ~/Mail/inbox/          new mail of the default account to a Maildir
  popui fetch work --to ~/mail/work.mbox  the account "work" to an mbox
  popui fetch work --delete               to work's fetch_to, then delete what was saved

output: a progress bar (messages, bytes, rate, time left) when stderr is a terminal, and one
summary line at the end, e.g. "30 new messages (1.2 MB) saved to ~/Mail/inbox/; 120 already
there". Exit status: 0 all saved, 1 stopped on a failure (what was saved stays saved and
recorded, nothing is deleted), 2 usage or configuration error, 130 interrupted (Ctrl+C)."""


def _add_fetch_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fetch = commands.add_parser(
        "fetch", help="download new messages to a Maildir or an mbox",
        description=_FETCH_DESCRIPTION, epilog=_FETCH_EPILOG, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [NAME] [--host H --port P --user U --security S ...] --to DEST\n"
              "       [--format maildir|mbox] [--all] [--delete]",
    )
    _add_config_option(fetch, argparse.SUPPRESS)
    fetch.add_argument("name", nargs="?", metavar="NAME",
                       help="account to fetch (default: the default account)")
    fetch.add_argument("--account", metavar="NAME", dest="account_name",
                       help="account to fetch (for names like 'account' or 'fetch')")
    fetch.add_argument("--to", metavar="DEST",
                       help="Maildir (a folder, or a path ending in /) or mbox file to save to "
                       "(default: the account's fetch_to)")
    fetch.add_argument("--format", choices=("maildir", "mbox"),
                       help="write DEST as this format instead of guessing it from the path")
    fetch.add_argument("--all", action="store_true",
                       help="save every message, even those saved to DEST before")
    fetch.add_argument("--delete", action="store_true",
                       help="at the end, delete on the server exactly the messages this run "
                       "saved and fsynced (DELE, QUIT), and report what the server "
                       "acknowledged")
    fetch.add_argument("--log-file", metavar="F",
                       help="append the protocol log to F (passwords are always redacted)")
    fetch.add_argument("--debug-level", metavar="0|1|2", type=int, choices=(0, 1, 2), default=0,
                       help="protocol log detail: 0 none, 1 commands and replies, "
                       "2 everything (default 0)")
    _add_connection_options(fetch.add_argument_group(
        "ad-hoc account (no configuration file needed; --host and --user are required)"))
    fetch.set_defaults(fetch_parser=fetch)


def command_for(argv: Sequence[str], parser: argparse.ArgumentParser) -> str | None:
    """The command (``account``/``locate``) if the first positional word names one."""
    takes_value = {
        option for action in parser._actions  # argparse has no public API for this
        for option in action.option_strings if action.nargs != 0
    }
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            return None
        if word.startswith("-") and word != "-":
            index += 2 if word in takes_value else 1
            continue
        return word if word in COMMANDS else None
    return None
