"""Where passwords and OAuth tokens come from: a command, the keyring, or the user.

Order for a password: ``password_command`` (first line of its output) → the keyring (service
``popui``, one entry per account named ``user@host:port``) → ``None``, which means "ask the user".
Nothing here ever writes a secret to a file, and no error message contains one: a failing command
is reported by its exit status and, only when it cannot be the secret, a line of its error output
(``error_line``); never its stdout, never the command line (which can hold a secret too).

Every method may block (a keyring over D-Bus, a locked keychain, a slow ``pass``): call them from
a thread worker, never on the UI thread.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, NamedTuple, Protocol

from popui.pop3.account import OAUTH_METHODS, Account, Credentials

if TYPE_CHECKING:
    from popui.config import Settings

KEYRING_SERVICE = "popui"
COMMAND_TIMEOUT = 120.0  # seconds: long enough to type a GPG passphrase into pinentry
NO_BACKEND = (
    "No keyring backend available (no Secret Service): passwords will be asked each time"
)


class SecretError(Exception):
    """A secret could not be obtained (failing command). The message holds no secret."""


class Secrets(Protocol):
    """What the app needs from a secret source (``SecretSource`` or ``StaticSecret``)."""

    def get_password(self) -> str | None: ...
    def get_oauth_token(self) -> str | None: ...
    def remember(self, password: str) -> str | None: ...
    def forget(self) -> bool: ...
    def keyring_status(self) -> str | None: ...


class Stored(NamedTuple):
    """What the secret source holds for an account: credentials, or None (ask the user), and a
    sentence when the lookup failed (no secret in it)."""

    credentials: Credentials | None
    problem: str | None = None


def stored_credentials(secrets: Secrets, account: Account) -> Stored:
    """The account's stored password or OAuth token, per its ``auth``. May block."""
    try:
        if account.auth in OAUTH_METHODS:
            token = secrets.get_oauth_token()
            return Stored(Credentials(oauth_token=token) if token else None)
        password = secrets.get_password()
    except SecretError as error:
        return Stored(None, str(error))
    return Stored(Credentials(password=password) if password is not None else None)


def keyring_status() -> str | None:
    """``None`` when a usable keyring backend is configured, else a one-line reason."""
    import keyring  # imported when needed: it costs a tenth of a second at start-up
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return NO_BACKEND
    return None


#: where to read everything a failing command printed: popui never shows or stores it
_FULL_TEXT = "To read all it printed, run the command yourself in a terminal."


def run_secret_command(command: str, what: str = "password_command") -> str:
    """Run ``command`` in the shell and return the first line of its output.

    Raises ``SecretError`` with the exit status and at most one line of stderr that cannot be
    the secret (``error_line``); the command itself is not named, as it may hold a secret.
    """
    try:
        done = subprocess.run(
            command, shell=True, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=COMMAND_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        raise SecretError(
            f"{what} did not finish within {COMMAND_TIMEOUT:.0f} seconds. {_FULL_TEXT}"
        ) from None
    except OSError as exc:
        raise SecretError(f"{what} could not be started: {exc.strerror}") from None
    if done.returncode != 0:
        line = error_line(done.stderr, done.stdout)
        detail = f" ({line.rstrip('.')})" if line else ""
        raise SecretError(
            f"{what} failed with exit status {done.returncode}{detail}. {_FULL_TEXT}"
        )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0]:
        raise SecretError(f"{what} printed nothing on its first line. {_FULL_TEXT}")
    return lines[0]


def error_line(stderr: bytes, stdout: bytes, limit: int = 160) -> str | None:
    """The first line of ``stderr`` that cannot be the secret, or ``None``.

    Tools and scripts do print the password on stderr. A line is left out when it is one word
    (a password rarely has spaces; an error message always has), or contains any line the
    command printed on stdout.
    """
    printed = [line.strip() for line in stdout.decode("utf-8", "replace").splitlines()]
    printed = [line for line in printed if line]
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = " ".join(raw.split())
        if " " not in line or any(out in line or line in out for out in printed):
            continue
        line = "".join(c if c.isprintable() else "?" for c in line)
        return line if len(line) <= limit else line[: limit - 1] + "…"
    return None


def _problem(action: str, exc: BaseException, secret: str | None = None) -> str:
    """A one-line reason for a keyring failure, with the secret scrubbed just in case."""
    import keyring.errors

    if isinstance(exc, keyring.errors.NoKeyringError):
        return NO_BACKEND
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if secret:
        reason = reason.replace(secret, "***")
    return f"Keyring could not {action} ({reason}): passwords will be asked each time"


class SecretSource:
    """The secrets of one account, looked up in the documented order."""

    def __init__(
        self, account: Account, password_command: str | None = None,
        oauth2_token_command: str | None = None,
    ) -> None:
        self.account = account
        self.password_command = password_command
        self.oauth2_token_command = oauth2_token_command
        self._problem: str | None = None

    @classmethod
    def for_account(cls, settings: Settings, name: str) -> SecretSource:
        secrets = settings.secrets.get(name)
        return cls(
            settings.accounts[name],
            secrets.password_command if secrets else None,
            secrets.oauth2_token_command if secrets else None,
        )

    def __repr__(self) -> str:
        return f"SecretSource({self.account.keyring_user!r})"

    def get_password(self) -> str | None:
        """The password, or ``None`` when the user must be asked. ``SecretError`` if the
        configured command fails (a prompt would hide the broken configuration)."""
        if self.password_command:
            return run_secret_command(self.password_command, "password_command")
        import keyring

        try:
            return keyring.get_password(KEYRING_SERVICE, self.account.keyring_user)
        except Exception as exc:  # any backend failure (D-Bus, locked) means: ask the user
            self._problem = _problem("be read", exc)
            return None

    def get_oauth_token(self) -> str | None:
        if self.oauth2_token_command:
            return run_secret_command(self.oauth2_token_command, "oauth2_token_command")
        return None

    def remember(self, password: str) -> str | None:
        """Store a password that just worked. Returns ``None`` or why it could not be stored."""
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, self.account.keyring_user, password)
        except Exception as exc:
            self._problem = _problem("store the password", exc, password)
            return self._problem
        return None

    def forget(self) -> bool:
        """Delete the keyring entry: ``True`` if one was removed, ``False`` if there was none.

        Raises ``SecretError`` when the keyring cannot be reached."""
        import keyring.errors

        try:
            keyring.delete_password(KEYRING_SERVICE, self.account.keyring_user)
        except keyring.errors.PasswordDeleteError:
            return False
        except Exception as exc:
            raise SecretError(_problem("delete the password", exc)) from None
        return True

    def keyring_status(self) -> str | None:
        """``None`` if the keyring works as far as we know, else a one-line reason."""
        return keyring_status() or self._problem


class StaticSecret:
    """A fixed password (the demo mailbox); nothing is stored anywhere."""

    def __init__(self, password: str) -> None:
        self._password = password

    def __repr__(self) -> str:
        return "StaticSecret(***)"

    def get_password(self) -> str | None:
        return self._password

    def get_oauth_token(self) -> str | None:
        return None

    def remember(self, password: str) -> str | None:
        return None

    def forget(self) -> bool:
        return False

    def keyring_status(self) -> str | None:
        return None
