"""Password order (command → keyring → ask), keyring hit/miss/failure, and no leaked secrets."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator

import pytest
from memory_keyring import BrokenKeyring, MemoryKeyring, no_backend, using_keyring

from popui.config import parse_settings
from popui.credentials import (
    KEYRING_SERVICE,
    NO_BACKEND,
    SecretError,
    SecretSource,
    StaticSecret,
    keyring_status,
    run_secret_command,
)
from popui.pop3.account import Account

SECRET = "S3cret-Zebra-7731"  # distinctive, so a leak is easy to spot
ACCOUNT = Account(name="work", host="pop.example.com", user="me")


def py(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    with using_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]


def test_keyring_entry_is_named_user_at_host_port() -> None:
    assert ACCOUNT.keyring_user == "me@pop.example.com:995"


def test_command_comes_first_and_only_its_first_line_counts(memory: MemoryKeyring) -> None:
    memory.set_password(KEYRING_SERVICE, ACCOUNT.keyring_user, "from-keyring")
    source = SecretSource(ACCOUNT, py(f"print({SECRET!r}); print('second line')"))
    assert source.get_password() == SECRET


def test_keyring_hit_then_miss_means_prompt(memory: MemoryKeyring) -> None:
    source = SecretSource(ACCOUNT)
    assert source.get_password() is None  # miss: the UI asks
    assert source.remember(SECRET) is None
    assert memory.entries == {(KEYRING_SERVICE, "me@pop.example.com:995"): SECRET}
    assert source.get_password() == SECRET  # hit
    assert source.keyring_status() is None
    assert source.forget() is True
    assert source.forget() is False
    assert source.get_password() is None


def test_entries_are_per_account(memory: MemoryKeyring) -> None:
    other = Account(name="home", host="pop.example.com", user="me", port=2995)
    SecretSource(ACCOUNT).remember(SECRET)
    assert SecretSource(other).get_password() is None


def test_no_backend_says_so_and_keeps_prompting() -> None:
    with using_keyring(no_backend()):
        assert keyring_status() == NO_BACKEND
        source = SecretSource(ACCOUNT)
        assert source.keyring_status() == NO_BACKEND
        assert source.get_password() is None
        assert source.remember(SECRET) == NO_BACKEND
        with pytest.raises(SecretError) as info:
            source.forget()
        assert "No keyring backend" in str(info.value)


def test_broken_backend_fails_soft_without_the_password() -> None:
    with using_keyring(BrokenKeyring()):
        source = SecretSource(ACCOUNT)
        assert keyring_status() is None
        assert source.get_password() is None
        assert "collection is locked" in (source.keyring_status() or "")
        problem = source.remember(SECRET)
        assert problem is not None and "could not store" in problem
        assert SECRET not in problem


def test_failing_command_reports_status_and_stderr_never_stdout(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POPUI_TEST_SECRET", SECRET)  # so the command text holds no secret
    source = SecretSource(
        ACCOUNT, 'echo "$POPUI_TEST_SECRET"; echo "gpg: decryption failed" >&2; exit 3',
    )
    with pytest.raises(SecretError) as info:
        source.get_password()
    message = str(info.value)
    assert "password_command" in message and "exit status 3" in message
    assert "gpg: decryption failed" in message
    assert SECRET not in message and SECRET not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_command_with_empty_output_is_an_error() -> None:
    with pytest.raises(SecretError, match="printed nothing"):
        run_secret_command("true")


def test_oauth_token_command() -> None:
    source = SecretSource(ACCOUNT, oauth2_token_command=py("print('tok-123')"))
    assert source.get_oauth_token() == "tok-123"
    assert SecretSource(ACCOUNT).get_oauth_token() is None
    with pytest.raises(SecretError, match=r"oauth2_token_command .* exit status 1"):
        SecretSource(ACCOUNT, oauth2_token_command="exit 1").get_oauth_token()


def test_for_account_uses_the_configured_commands(memory: MemoryKeyring) -> None:
    text = '[accounts.w]\nhost = "h"\nuser = "u"\npassword_command = "echo 7"\n'
    settings = parse_settings(text)
    assert SecretSource.for_account(settings, "w").get_password() == "7"


def test_reprs_hide_secrets() -> None:
    assert SECRET not in repr(StaticSecret(SECRET))
    assert StaticSecret(SECRET).get_password() == SECRET
    assert SECRET not in repr(SecretSource(ACCOUNT, f"echo {SECRET}"))


@pytest.mark.parametrize("script", [
    # `pass`-like tools and scripts that print the secret on stderr before failing
    'echo "$POPUI_TEST_SECRET" >&2; exit 1',
    'echo "$POPUI_TEST_SECRET"; echo "$POPUI_TEST_SECRET" >&2; exit 2',
    'echo "  $POPUI_TEST_SECRET  " >&2; echo "gpg: decryption failed" >&2; exit 2',
    'echo "$POPUI_TEST_SECRET"; echo "error: wrong secret $POPUI_TEST_SECRET" >&2; exit 2',
])
def test_failing_command_never_shows_a_line_that_can_be_the_secret(
    monkeypatch: pytest.MonkeyPatch, script: str,
) -> None:
    monkeypatch.setenv("POPUI_TEST_SECRET", SECRET)
    with pytest.raises(SecretError) as info:
        run_secret_command(script)
    message = str(info.value)
    assert "password_command failed with exit status" in message
    assert SECRET not in message
    assert script not in message  # a command line can hold a secret too
    assert "run the command yourself in a terminal" in message  # where to read it all
    if "gpg" in script:
        assert "gpg: decryption failed" in message


def test_a_single_word_error_line_is_not_shown() -> None:
    with pytest.raises(SecretError) as info:
        run_secret_command("echo hunter2-looking-word >&2; exit 5")
    assert "exit status 5" in str(info.value) and "hunter2" not in str(info.value)
