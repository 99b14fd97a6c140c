"""The configuration file: a full example, every kind of error, and safe writing."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from popui import locations
from popui.config import (
    ConfigError,
    Settings,
    UiSettings,
    account_from_fields,
    load_settings,
    parse_settings,
    remove_account,
    save_account,
    save_ui_choice,
)

FULL = """\
# popui configuration
[ui]
theme = "popui-light"
preview = "bottom"
date_format = "%d.%m.%Y %H:%M"

[ui.keymap]
delete = "d,delete"
"app.quit" = "q"

[ui.filters]
big = "~z >5M"
"this week" = "~d <1w !~D"

[accounts.work]
host = "pop.example.com"
port = 1995
user = "me@example.com"
security = "tls"
auth = "scram-sha-256"
ca_file = "CAFILE"
password_command = "pass show mail/work"
timeout = 10
keepalive = 0.5
preview_lines = 40
max_message_size = 1048576
default = true

[accounts.home]
host = "127.0.0.1"
user = "me"
security = "none"
auth = "user"
allow_plaintext_password = true
oauth2_token_command = "oauth2-token home"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.path == path
    assert str(path) in str(info.value)
    return info.value


def test_full_example_is_read_into_typed_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    settings = load_settings(write(tmp_path, FULL.replace("CAFILE", str(ca))))
    assert settings.ui == UiSettings(
        theme="popui-light", preview="bottom", date_format="%d.%m.%Y %H:%M",
        keymap={"delete": "d,delete", "app.quit": "q"},
        filters={"big": "~z >5M", "this week": "~d <1w !~D"},
    )
    work = settings.accounts["work"]
    assert (work.host, work.effective_port) == ("pop.example.com", 1995)
    assert work.user == "me@example.com"
    assert (work.auth, work.ca_file, work.timeout, work.keepalive) == (
        "scram-sha-256", str(ca), 10.0, 0.5,
    )
    assert (work.preview_lines, work.max_message_size) == (40, 1048576)
    home = settings.accounts["home"]
    assert home.security == "none" and home.allow_plaintext_password and home.effective_port == 110
    assert settings.secrets["work"].password_command == "pass show mail/work"
    assert settings.secrets["home"].oauth2_token_command == "oauth2-token home"
    assert settings.default_account == "work"


def test_missing_file_gives_empty_settings(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "nope.toml")
    assert settings.accounts == {} and settings.default_account is None
    assert settings.ui == UiSettings()


def test_only_account_is_the_default_and_several_without_default_have_none(
    tmp_path: Path,
) -> None:
    one = '[accounts.a]\nhost = "h"\nuser = "u"\n'
    assert load_settings(write(tmp_path, one)).default_account == "a"
    two = one + '[accounts.b]\nhost = "h"\nuser = "u"\n'
    assert load_settings(write(tmp_path, two)).default_account is None


def test_bad_toml_syntax_names_the_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nhost = "pop.example.com"\nuser = me\n')
    assert err.line == 3
    assert "line 3" in str(err) and "not valid TOML" in str(err)


def test_unknown_key_is_reported_with_valid_keys(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nhost = "h"\nuser = "u"\n\npasword = "x"\n')
    assert (err.line, err.key) == (5, "accounts.work.pasword")
    assert "unknown key" in str(err) and "password_command" in str(err)


def test_unknown_table_and_ui_key(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[account.work]\nhost = "h"\n')
    assert (err.line, err.key) == (1, "account")
    assert "accounts, ui" in str(err)
    err = error_for(tmp_path, '[ui]\ntheme = "x"\ncolour = "red"\n')
    assert (err.line, err.key) == (3, "ui.colour")


def test_wrong_type_says_what_would_be_valid(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nhost = "h"\nuser = "u"\nport = "995"\n')
    assert (err.line, err.key) == (4, "accounts.work.port")
    assert 'port number from 1 to 65535, not the string "995"' in str(err)
    err = error_for(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\ndefault = "yes"\n')
    assert "true or false" in str(err) and err.key == "accounts.w.default"
    err = error_for(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\ntimeout = -1\n')
    assert "number of seconds" in str(err) and err.line == 4
    err = error_for(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nkeepalive = 0\n')
    assert "more than 0" in str(err) and err.key == "accounts.w.keepalive"


def test_bad_security_value_lists_choices(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nhost = "h"\nuser = "u"\nsecurity = "ssl"\n')
    assert (err.line, err.key) == (4, "accounts.work.security")
    assert '"ssl" is not valid; use one of "tls", "starttls", "none"' in str(err)


def test_bad_auth_and_preview_values(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nhost = "h"\nuser = "u"\nauth = "ntlm"\n')
    assert '"scram-sha-256"' in str(err) and '"rpop"' in str(err)
    err = error_for(tmp_path, '[ui]\npreview = "left"\n')
    assert '"right", "bottom", "off"' in str(err) and err.line == 2


def test_two_defaults_are_an_error(tmp_path: Path) -> None:
    text = (
        '[accounts.a]\nhost = "h"\nuser = "u"\ndefault = true\n\n'
        '[accounts.b]\nhost = "h"\nuser = "u"\ndefault = true\n'
    )
    err = error_for(tmp_path, text)
    assert (err.line, err.key) == (9, "accounts.b.default")
    assert "two accounts have default = true (a and b)" in str(err)


def test_missing_host_and_missing_ca_file(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[accounts.work]\nuser = "u"\n')
    assert err.key == "accounts.work.host" and err.line == 1 and "missing" in str(err)
    err = error_for(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nca_file = "/no/such.pem"\n')
    assert "no such file: /no/such.pem" in str(err) and err.line == 4
    err = error_for(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nca_file = "~nobody-x9/ca"\n')
    assert "no such home folder" in str(err) and err.key == "accounts.w.ca_file"


def test_account_table_of_wrong_shape(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'accounts = "work"\n')
    assert "must be a table" in str(err) and err.line == 1


def test_account_from_fields_validates_like_the_file() -> None:
    account, secrets = account_from_fields("x", {"host": "h", "user": "u", "port": 2110})
    assert account.effective_port == 2110 and secrets.password_command is None
    with pytest.raises(ConfigError) as info:
        account_from_fields("x", {"host": "h", "user": "u", "security": "ssl"})
    assert info.value.key == "accounts.x.security"


def test_save_account_appends_replaces_and_keeps_comments(tmp_path: Path) -> None:
    path = write(tmp_path, '# keep me\n[ui]\ntheme = "t"  # and me\n')
    save_account(path, "work", {"host": "h", "user": "u", "port": 995})
    save_account(path, "home", {"host": "h2", "user": "v", "default": True})
    save_account(path, "work", {"host": "h3", "user": "w", "security": "starttls"})
    text = path.read_text()
    assert "# keep me" in text and '# and me' in text
    settings = load_settings(path)
    assert list(settings.accounts) == ["work", "home"]
    assert settings.accounts["work"].host == "h3"
    assert settings.accounts["work"].port is None
    assert settings.default_account == "home"


def test_save_account_quotes_hostile_strings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    nasty = 'x"\n[accounts.evil]\nhost = "e"\\'
    save_account(path, "my work", {"host": "h", "user": nasty, "password_command": "a\tb\x7f"})
    settings = load_settings(path)
    assert list(settings.accounts) == ["my work"]
    assert settings.accounts["my work"].user == nasty
    assert settings.secrets["my work"].password_command == "a\tb\x7f"


def test_save_account_refuses_to_break_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[accounts.a]\nhost = "h"\nuser = "u"\ndefault = true\n')
    before = path.read_text()
    with pytest.raises(ConfigError) as info:
        save_account(path, "b", {"host": "h", "user": "u", "default": True})
    assert "two accounts" in str(info.value)
    assert path.read_text() == before
    with pytest.raises(ConfigError):
        save_account(path, "b", {"host": "h", "user": "u", "security": "ssl"})
    assert path.read_text() == before


def test_remove_account(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_account(path, "a", {"host": "h", "user": "u"})
    save_account(path, "b", {"host": "h", "user": "u"})
    settings = remove_account(path, "a")
    assert list(settings.accounts) == ["b"]
    assert list(load_settings(path).accounts) == ["b"]
    with pytest.raises(KeyError):
        remove_account(path, "a")


def test_save_ui_choice_sets_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_ui_choice(path, "theme", "one")
    save_account(path, "a", {"host": "h", "user": "u"})
    save_ui_choice(path, "theme", "two")
    save_ui_choice(path, "preview", "off")
    data = tomllib.loads(path.read_text())
    assert data["ui"] == {"theme": "two", "preview": "off"}
    assert load_settings(path).accounts["a"].host == "h"
    with pytest.raises(ConfigError):
        save_ui_choice(path, "preview", "left")
    with pytest.raises(ValueError):
        save_ui_choice(path, "colour", "red")


def test_saved_config_keeps_mode_of_existing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.chmod(0o600)
    save_account(path, "a", {"host": "h", "user": "u"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_locations_honour_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("POPUI_CONFIG_FILE", raising=False)
    assert locations.config_file() == tmp_path / "cfg" / "popui" / "config.toml"
    assert locations.themes_dir() == tmp_path / "cfg" / "popui" / "themes"
    for made in (locations.config_dir(), locations.cache_dir(), locations.state_dir()):
        for folder in (made, made.parent):  # the XDG base folders were created too: private
            assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert locations.cache_dir() == tmp_path / "cache" / "popui"
    monkeypatch.setenv("POPUI_CONFIG_FILE", str(tmp_path / "other.toml"))
    assert locations.config_file() == tmp_path / "other.toml"
    assert isinstance(load_settings(), Settings)


def readme_section(name: str) -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index(f"<!-- section: {name} -->")
    end = text.find("<!-- section:", start + 1)
    return text[start: end if end != -1 else None]


def test_readme_example_loads_and_documents_every_key(tmp_path: Path) -> None:
    from popui.config import _ACCOUNT_KEYS, _UI_KEYS

    section = readme_section("configuration")
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    example = example.replace("~/certs/home-ca.pem", str(ca))
    settings = load_settings(write(tmp_path, example))
    assert settings.default_account == "work"
    assert set(settings.accounts) == {"work", "home", "gmail", "lab"}
    for key in (*_ACCOUNT_KEYS, *_UI_KEYS):
        assert f"\n{key} = " in example or f"\n[ui.{key}]" in example, key


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_file_that_cannot_be_written_is_a_config_error() -> None:
    path = Path("/proc/popui-no-such-folder/config.toml")  # not writable, not even by root
    with pytest.raises(ConfigError) as info:
        save_ui_choice(path, "theme", "one")
    assert info.value.path == path and "cannot write the file" in str(info.value)
    with pytest.raises(ConfigError):
        save_account(path, "a", {"host": "h", "user": "u"})


def test_a_symlinked_file_is_updated_where_it_lives(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = write(dotfiles, "# mine\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    save_ui_choice(link, "theme", "one")
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == '[ui]\ntheme = "one"\n\n# mine\n'


def test_fetch_to_expands_the_home_folder_and_keeps_the_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    settings = parse_settings('[accounts.a]\nhost = "h"\nuser = "u"\nfetch_to = "~/Mail/a/"\n')
    assert settings.accounts["a"].fetch_to == "/home/someone/Mail/a/"
    with pytest.raises(ConfigError, match="fetch_to: no such home folder in ~nobody-popui/x"):
        parse_settings('[accounts.a]\nhost = "h"\nuser = "u"\nfetch_to = "~nobody-popui/x"\n')


def test_a_named_filter_that_does_not_parse_says_where(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[ui]\ntheme = "x"\n\n[ui.filters]\nok = "~A"\nbig = "~z >5X"\n')
    assert (err.line, err.key) == (6, "ui.filters.big")
    assert '"~z >5X" is not a valid pattern: ~z:' in str(err)
    assert "(at character 4)" in str(err)
    err = error_for(tmp_path, '[ui.filters]\nbig = 5\n')
    assert (err.line, err.key) == (2, "ui.filters.big")
    assert 'must be a pattern in quotes, e.g. "~z >5M", not the number 5' in str(err)
    err = error_for(tmp_path, '[ui.filters]\nblank = "  "\n')
    assert err.key == "ui.filters.blank"
    err = error_for(tmp_path, '[ui]\nfilters = "~z >5M"\n')
    assert err.key == "ui.filters" and "must be a table" in str(err)


def test_named_filters_cannot_be_saved_as_a_ui_choice(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        save_ui_choice(tmp_path / "config.toml", "filters", "x")
