"""Theme files and the one command definition (bindings, help, keymap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from popui.commands import (
    ALL_COMMANDS,
    APP_COMMANDS,
    MAIN_COMMANDS,
    bindings,
    check_keymap,
    effective_keys,
    help_rows,
)
from popui.themes import (
    MAIL_VARIABLES,
    POPUI_THEME,
    ThemeFileError,
    load_theme_files,
    mail_variable_defaults,
    shipped_themes_dir,
    theme_from_toml,
)


def test_shipped_themes_load_and_set_every_mail_colour() -> None:
    loaded = load_theme_files([shipped_themes_dir()])
    assert loaded.errors == []
    names = {theme.name for theme in loaded.themes}
    assert {"popui-dark", "popui-light", "popui-high-contrast"} <= names
    assert any(not theme.dark for theme in loaded.themes)
    for theme in [*loaded.themes, POPUI_THEME]:
        assert set(MAIL_VARIABLES) <= set(theme.variables), theme.name


def test_user_theme_overrides_and_broken_files_are_listed(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "popui-dark"\nprimary = "#123456"\n')
    (tmp_path / "broken.toml").write_text('name = "x"\nprimary = "not a colour"\n')
    (tmp_path / "typo.toml").write_text('name = "y"\nprimary = "#fff"\nprimray = "#fff"\n')
    (tmp_path / "bad.toml").write_text("name = \n")
    loaded = load_theme_files([shipped_themes_dir(), tmp_path])
    dark = next(theme for theme in loaded.themes if theme.name == "popui-dark")
    assert dark.primary == "#123456"
    assert len(loaded.errors) == 3
    assert any("not a colour" in e for e in loaded.errors)
    assert any("primray" in e for e in loaded.errors)
    assert any("TOML" in e for e in loaded.errors)


def test_theme_requires_name_and_primary() -> None:
    with pytest.raises(ThemeFileError, match="name"):
        theme_from_toml('primary = "#fff"')


def test_mail_defaults_come_from_any_theme_palette() -> None:
    defaults = mail_variable_defaults(POPUI_THEME)
    assert set(defaults) == set(MAIL_VARIABLES)


def test_commands_have_unique_ids_and_no_key_clashes() -> None:
    ids = [command.id for command in ALL_COMMANDS]
    assert len(ids) == len(set(ids))
    for group in (MAIN_COMMANDS, APP_COMMANDS):
        keys = [key for command in group for key in effective_keys(command, {})]
        assert len(keys) == len(set(keys)), keys
    made = bindings(MAIN_COMMANDS)
    assert [b.id for b in made] == [c.id for c in MAIN_COMMANDS]
    assert {b.key for b in made if b.show} >= {"d", "dollar_sign", "q"}


def test_keymap_and_help_show_the_keys_in_effect() -> None:
    assert check_keymap({"commit": "ctrl+d"}) == []
    assert "nope" in check_keymap({"nope": "x"})[0]
    rows = help_rows({"commit": "ctrl+d"}, lambda key: key.upper(), ALL_COMMANDS)
    commit_help = next(c.help for c in ALL_COMMANDS if c.id == "commit")
    assert ("Delete", "CTRL+D", "Commit", commit_help) in rows
    assert ("Move", "J, DOWN", "Next", "Move to the next message.") in rows
    assert len(rows) == len(ALL_COMMANDS)


def test_readme_keys_section_lists_every_command() -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: keys -->")[1].split("<!-- section:")[0]
    for command in ALL_COMMANDS:
        assert f"| {command.title} | `{command.id}` | {command.help} |" in section, command.id
    for name in ("popui-dark", "popui-light", "popui-high-contrast", *MAIL_VARIABLES):
        assert name in section
