"""The command line: help, errors with status 2, which account opens, account and locate."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from memory_keyring import MemoryKeyring, using_keyring

import popui.__main__ as entry
from popui import __version__
from popui.cli import commands
from popui.cli.parser import build_command_parser, build_parser
from popui.config import load_settings
from popui.credentials import KEYRING_SERVICE, SecretSource, StaticSecret

TWO_ACCOUNTS = """\
[accounts.work]
host = "pop.example.com"
user = "me"
password_command = "echo from-command"

[accounts.home]
host = "pop.home.example"
user = "me"
port = 2995
default = true
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """No test touches the real config, cache or keyring."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("POPUI_CONFIG_FILE", str(tmp_path / "config.toml"))
    with using_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Calls to ``run_app`` (the TUI is not started)."""
    calls: list[dict[str, Any]] = []

    def fake_run_app(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(entry, "run_app", fake_run_app)
    return calls


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def test_help_documents_every_option_and_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--help"]) == 0
    text = capsys.readouterr().out
    for option in option_strings(build_parser()):
        assert option in text, option
    command_parser = build_command_parser()
    sub = command_parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    add = sub["account"]._subparsers._group_actions[0].choices["add"]  # type: ignore[union-attr]
    for option in option_strings(add) - {"-h", "--help"}:
        assert option in text, option
    for words in ("popui account add", "popui account list", "popui account forget NAME",
                  "--remove", "popui locate config|themes|cache", "POPUI_CONFIG_FILE",
                  "password_command", "keyring"):
        assert words in text, words


def test_readme_documents_every_option() -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: configuration -->", 1)[1].split("<!-- section:", 1)[0]
    command_parser = build_command_parser()
    sub = command_parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    add = sub["account"]._subparsers._group_actions[0].choices["add"]  # type: ignore[union-attr]
    for option in (option_strings(build_parser()) | option_strings(add)) - {"-h", "--help"}:
        assert option in section, option


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"popui {__version__}"


def test_config_error_exits_2_with_message_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], launched: list[dict[str, Any]],
) -> None:
    path = config(tmp_path, '[accounts.work]\nhost = "h"\nuser = "u"\nsecurity = "ssl"\n')
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert f"popui: {path}, line 4, key accounts.work.security:" in err
    assert '"tls", "starttls", "none"' in err
    assert "Traceback" not in err
    assert launched == []
    assert entry.main(["account", "list"]) == 2
    assert "line 4" in capsys.readouterr().err


def test_syntax_error_from_config_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "other.toml"
    bad.write_text("[accounts.work\n")
    assert entry.main(["--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "line 1" in err and "not valid TOML" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], launched: list) -> None:
    assert entry.main(["--security", "ssl", "--host", "h", "--user", "u"]) == 2
    assert entry.main(["--debug-level", "3"]) == 2
    assert entry.main(["--port", "99999", "--host", "h", "--user", "u"]) == 2
    assert entry.main(["--host", "h"]) == 2
    assert "--host needs --user" in capsys.readouterr().err
    assert entry.main(["--user", "u"]) == 2
    assert "need --host" in capsys.readouterr().err
    assert entry.main(["--host", "h", "--user", "u", "--ca-file", "/no/such.pem"]) == 2
    assert "--ca-file: no such file" in capsys.readouterr().err
    assert entry.main(["locate", "mail"]) == 2
    assert launched == []


def test_ad_hoc_flags_resolve_to_the_account(
    launched: list[dict[str, Any]], tmp_path: Path,
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    argv = ["--host", "pop.example.com", "--user", "me", "--port", "2110", "--security",
            "starttls", "--auth", "cram-md5", "--ca-file", str(ca),
            "--password-command", "echo pw-from-command", "--debug-level", "2",
            "--log-file", str(tmp_path / "log.txt")]
    assert entry.main(argv) == 0
    (call,) = launched
    account = call["account"]
    assert (account.name, account.host, account.user) == ("me@pop.example.com",
                                                         "pop.example.com", "me")
    assert (account.effective_port, account.security, account.auth) == (2110, "starttls",
                                                                      "cram-md5")
    assert account.ca_file == str(ca) and not account.allow_plaintext_password
    assert call["secrets"].get_password() == "pw-from-command"
    assert call["debug_level"] == 2 and call["log_file"] == tmp_path / "log.txt"


def test_ad_hoc_defaults(launched: list[dict[str, Any]]) -> None:
    assert entry.main(["--host", "10.0.0.1", "--user", "me", "--security", "none",
                       "--allow-plaintext-password"]) == 0
    account = launched[0]["account"]
    assert (account.effective_port, account.auth, account.allow_plaintext_password) == (
        110, "auto", True,
    )
    assert launched[0]["secrets"].get_password() is None  # nothing stored: the app prompts


def test_name_and_default_open_accounts(
    tmp_path: Path, launched: list[dict[str, Any]], isolated: MemoryKeyring,
) -> None:
    path = config(tmp_path, TWO_ACCOUNTS)
    assert entry.main([]) == 0
    assert launched[-1]["account"].name == "home"
    assert launched[-1]["config_path"] == path
    assert launched[-1]["settings"].default_account == "home"
    isolated.set_password(KEYRING_SERVICE, "me@pop.home.example:2995", "from-keyring")
    assert launched[-1]["secrets"].get_password() == "from-keyring"
    assert entry.main(["work"]) == 0
    assert launched[-1]["account"].name == "work"
    assert launched[-1]["secrets"].get_password() == "from-command"


def test_unknown_name_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], launched: list,
) -> None:
    config(tmp_path, TWO_ACCOUNTS)
    assert entry.main(["nope"]) == 2
    err = capsys.readouterr().err
    assert "no account named 'nope'" in err and "(accounts: work, home)" in err
    assert launched == []


def test_no_account_or_several_without_default_let_the_app_ask(
    tmp_path: Path, launched: list[dict[str, Any]],
) -> None:
    assert entry.main([]) == 0  # first run: no file at all
    assert launched[-1]["account"] is None and launched[-1]["secrets"] is None
    config(tmp_path, TWO_ACCOUNTS.replace("default = true\n", ""))
    assert entry.main([]) == 0
    assert launched[-1]["account"] is None
    assert set(launched[-1]["settings"].accounts) == {"work", "home"}


def test_account_named_like_a_command(tmp_path: Path, launched: list[dict[str, Any]]) -> None:
    config(tmp_path, '[accounts.account]\nhost = "h"\nuser = "u"\n'
                     '[accounts.x]\nhost = "h"\nuser = "u"\n')
    assert entry.main(["--account", "account"]) == 0
    assert launched[-1]["account"].name == "account"


def test_demo_runs_the_app_on_the_demo_server(
    launched: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from popui.pop3.account import Credentials
    from popui.pop3.client import Pop3Client
    from popui.pop3.errors import Pop3Error

    def log_in_while_running(**kwargs: Any) -> int:
        launched.append(kwargs)
        client = Pop3Client(kwargs["account"])  # the server is up while the app runs
        client.login(Credentials(password=kwargs["secrets"].get_password()))
        count, _ = client.stat_totals()
        client.quit()
        return count

    monkeypatch.setattr(entry, "run_app", log_in_while_running)
    assert entry.main(["--demo"]) > 0
    (call,) = launched
    account = call["account"]
    assert account.name == "demo" and account.security == "none" and account.is_loopback
    assert isinstance(call["secrets"], StaticSecret)
    with pytest.raises(Pop3Error):  # stopped once the app has ended
        Pop3Client(account)


def test_locate_honours_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert entry.main(["locate", "config"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "config.toml")
    assert entry.main(["locate", "cache"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "xdg_cache_home" / "popui")
    assert entry.main(["locate", "themes"]) == 0
    assert capsys.readouterr().out.strip() == str(
        tmp_path / "xdg_config_home" / "popui" / "themes")
    assert entry.main(["--config", str(tmp_path / "x.toml"), "locate", "config"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "x.toml")
    monkeypatch.delenv("POPUI_CONFIG_FILE")
    assert entry.main(["locate", "config"]) == 0
    assert capsys.readouterr().out.strip() == str(
        tmp_path / "xdg_config_home" / "popui" / "config.toml")


def test_account_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["account", "list"]) == 0
    assert "No accounts" in capsys.readouterr().out
    config(tmp_path, TWO_ACCOUNTS)
    assert entry.main(["account", "list"]) == 0
    out = capsys.readouterr().out
    assert "work  me@pop.example.com:995  tls, auth auto, password from password_command" in out
    assert "home  me@pop.home.example:2995" in out and "(default)" in out


def test_account_forget_and_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated: MemoryKeyring,
) -> None:
    path = config(tmp_path, TWO_ACCOUNTS)
    home = load_settings(path).accounts["home"]
    SecretSource(home).remember("pw")
    assert entry.main(["account", "forget", "home"]) == 0
    assert "Deleted the keyring entry 'me@pop.home.example:2995'" in capsys.readouterr().out
    assert isolated.entries == {}
    assert "home" in load_settings(path).accounts
    assert entry.main(["account", "forget", "home", "--remove"]) == 0
    assert "No keyring entry" in capsys.readouterr().out
    assert list(load_settings(path).accounts) == ["work"]
    assert entry.main(["account", "forget", "home"]) == 2
    assert "no account named 'home'" in capsys.readouterr().err


def test_account_add_aborted_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr(commands, "ask_line", eof)
    assert entry.main(["account", "add"]) == 1
    assert "Nothing was saved" in capsys.readouterr().out
    assert not (tmp_path / "config.toml").exists()


def test_account_add_unreachable_server_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as unused:  # a port with nobody listening
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setattr(commands, "ask_secret", lambda prompt: "pw")
    argv = ["account", "add", "x", "--host", "127.0.0.1", "--port", str(port), "--user", "u",
            "--security", "none"]
    assert entry.main(argv) == 1
    captured = capsys.readouterr()
    assert "cannot connect" in captured.err and "Nothing was saved" in captured.out
    assert not (tmp_path / "config.toml").exists()


def test_account_add_against_dovecot(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], isolated: MemoryKeyring,
) -> None:
    """Asks, fails once with a wrong password (re-asks, stores nothing), then logs in over
    STARTTLS, shows the capabilities, saves the account and the good password."""
    server = mailbox.server
    mailbox.fill(2)
    answers = iter(["work", "127.0.0.1", "starttls", str(server.port_stls), mailbox.name])
    prompts: list[str] = []

    def ask_line(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    passwords = iter(["Wrong-Zebra-4242", mailbox.password])
    monkeypatch.setattr(commands, "ask_line", ask_line)
    monkeypatch.setattr(commands, "ask_secret", lambda prompt: next(passwords))
    assert entry.main(["account", "add", "--ca-file", str(server.ca_file)]) == 0

    assert [p.split(" [")[0].rstrip(": ") for p in prompts] == [
        "Account name (e.g. work)", "POP3 server (host name)", "Security (tls, starttls, none)",
        "Port", "User name",
    ]
    out, err = capsys.readouterr()
    assert "login failed" in err
    assert f"Logged in as {mailbox.name} with SCRAM-SHA-256." in out
    assert "Server capabilities:" in out and "  PIPELINING" in out and "  UIDL" in out
    assert "Account 'work' saved in" in out and "Password stored in the keyring" in out
    entry_name = f"{mailbox.name}@127.0.0.1:{server.port_stls}"
    assert isolated.entries == {(KEYRING_SERVICE, entry_name): mailbox.password}
    text = (tmp_path / "config.toml").read_text()
    for secret in (mailbox.password, "Wrong-Zebra-4242"):
        assert secret not in text and secret not in out and secret not in err
    account = load_settings().accounts["work"]
    assert (account.host, account.effective_port, account.user, account.security) == (
        "127.0.0.1", server.port_stls, mailbox.name, "starttls",
    )
    assert account.ca_file == str(server.ca_file)
    assert load_settings().default_account == "work"
    assert mailbox.maildir.seen_files() == []  # logging in and out marks nothing seen


def test_account_add_gives_up_after_wrong_passwords(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], isolated: MemoryKeyring,
) -> None:
    server = mailbox.server
    monkeypatch.setattr(commands, "ask_secret", lambda prompt: "Wrong-Zebra-4242")
    argv = ["account", "add", "w", "--host", "127.0.0.1", "--port", str(server.port_tls),
            "--user", mailbox.name, "--ca-file", str(server.ca_file)]
    assert entry.main(argv) == 1
    out, err = capsys.readouterr()
    assert err.count("login failed") == commands.LOGIN_ATTEMPTS
    assert "Nothing was saved" in out
    assert not (tmp_path / "config.toml").exists() and isolated.entries == {}


def test_account_add_with_password_command_stores_nothing_in_keyring(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], isolated: MemoryKeyring,
) -> None:
    server = mailbox.server
    monkeypatch.setenv("POPUI_TEST_SECRET", mailbox.password)
    argv = ["account", "add", "w", "--host", "127.0.0.1", "--port", str(server.port_tls),
            "--user", mailbox.name, "--ca-file", str(server.ca_file), "--auth", "plain",
            "--password-command", 'echo "$POPUI_TEST_SECRET"']
    assert entry.main(argv) == 0
    assert "with PLAIN" in capsys.readouterr().out
    assert isolated.entries == {}
    settings = load_settings()
    assert settings.secrets["w"].password_command == 'echo "$POPUI_TEST_SECRET"'
    assert settings.accounts["w"].auth == "plain"
    assert SecretSource.for_account(settings, "w").get_password() == mailbox.password


def test_account_forget_remove_of_an_inline_table_says_to_edit_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = config(tmp_path, '[accounts]\nwork = { host = "h", user = "u" }\n')
    before = path.read_text()
    assert entry.main(["account", "forget", "work", "--remove"]) == 2
    err = capsys.readouterr().err
    assert "[accounts.work]" in err and "by hand" in err and "Traceback" not in err
    assert path.read_text() == before


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_cannot_be_created_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/proc/popui-no-such-folder")  # not even for root
    assert entry.main(["locate", "themes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("popui: ") and "/proc/popui-no-such-folder" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["missing folder", "a directory"])
def test_an_unwritable_log_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], launched: list[dict[str, Any]],
    where: str,
) -> None:
    config(tmp_path, TWO_ACCOUNTS)
    path = tmp_path / "no-such-folder" / "pop3.log" if where == "missing folder" else tmp_path
    for argv in (["--log-file", str(path)], ["--demo", "--log-file", str(path)],
                 ["fetch", "work", "--log-file", str(path)]):
        assert entry.main(argv) == 2
        err = capsys.readouterr().err
        reason = "No such file or directory" if where == "missing folder" else "Is a directory"
        assert f"popui: cannot write the log file {path}: {reason}" in err
        assert "Traceback" not in err
    assert launched == []


def test_a_writable_log_file_is_created_private(
    tmp_path: Path, launched: list[dict[str, Any]],
) -> None:
    config(tmp_path, TWO_ACCOUNTS)
    path = tmp_path / "pop3.log"
    assert entry.main(["--log-file", str(path)]) == 0
    assert launched[0]["log_file"] == path
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_deeply_nested_config_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], launched: list[dict[str, Any]],
) -> None:
    for text in ("x = " + "[" * 2000 + "]" * 2000 + "\n", "x = " + "{a = " * 2000 + "}" * 2000):
        path = config(tmp_path, text)
        for argv in ([], ["account", "list"]):
            assert entry.main(argv) == 2
            err = capsys.readouterr().err
            assert f"popui: {path}" in err and "nested too deeply" in err
            assert "Traceback" not in err
    assert launched == []


def test_account_add_on_the_wrong_port_says_so_before_asking_a_password(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 12 item 7: plain POP3 to the TLS port, and TLS to the plain port."""
    server = mailbox.server
    asked: list[str] = []
    monkeypatch.setattr(commands, "ask_secret", lambda prompt: asked.append(prompt) or "pw")
    for port, security, words in ((server.port_tls, "none", "speaks TLS"),
                                  (server.port_plain, "tls", "speaks plain POP3")):
        argv = ["account", "add", "x", "--host", "127.0.0.1", "--port", str(port),
                "--user", mailbox.name, "--security", security, "--ca-file", str(server.ca_file)]
        assert entry.main(argv) == 1
        captured = capsys.readouterr()
        assert words in captured.err and "Nothing was saved" in captured.out
        assert "_ssl.c" not in captured.err
    assert asked == []
    assert not (tmp_path / "config.toml").exists()


@pytest.mark.parametrize("where", ["first", "after the command", "last"])
def test_global_options_are_accepted_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str,
) -> None:
    """Issue 12 item 9: ``popui account list --config X`` was refused."""
    other = tmp_path / "other.toml"
    other.write_text(TWO_ACCOUNTS)
    for command in (["account", "list"], ["locate", "config"]):
        option = ["--config", str(other)]
        argv = {"first": option + command, "after the command": command[:1] + option
                + command[1:], "last": command + option}[where]
        assert entry.main(argv) == 0, argv
        out = capsys.readouterr().out
        assert str(other) in out
    assert entry.main(["account", "forget", "work", "--config", str(other)]) == 0
    assert "No keyring entry for 'me@pop.example.com:995'" in capsys.readouterr().out
