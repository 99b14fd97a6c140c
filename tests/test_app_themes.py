"""Theme files and the one command definition (bindings, help, keymap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import run_async, wait_until
from textual.color import Color

from popui.app import PopuiApp
from popui.commands import (
    ALL_COMMANDS,
    APP_COMMANDS,
    MAIN_COMMANDS,
    VIEW_COMMANDS,
    bindings,
    check_keymap,
    effective_keys,
    help_rows,
)
from popui.config import Settings, UiSettings
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
    for group in (MAIN_COMMANDS, VIEW_COMMANDS, APP_COMMANDS):
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


BROKEN_THEMES = {
    # a built-in's name: registering it would replace the theme in use
    "spread.toml": 'name = "popui-dark"\nprimary = "#123456"\nluminosity_spread = "abc"\n',
    "alpha.toml": 'name = "alpha"\nprimary = "#123456"\ntext_alpha = true\n',
    "ansi.toml": 'name = "ansi"\nprimary = "#123456"\nansi = "yes"\n',
    "variable.toml": 'name = "var"\nprimary = "#123456"\n[variables]\n'
                     'block-cursor-background = "not-a-colour"\n',
    "style.toml": 'name = "sty"\nprimary = "#123456"\n[variables]\n'
                  'block-cursor-text-style = "purple"\n',
    "unknown-variable.toml": 'name = "unk"\nprimary = "#123456"\n[variables]\n'
                             'mail-markd = "#ffffff"\n',
    "deep.toml": "x = " + "[" * 2000 + "]" * 2000 + "\n",
    "name.toml": 'name = "[@click=app.quit]x\\u001b"\nprimary = "#123456"\n',
}


def test_every_field_of_a_theme_file_is_checked_before_it_is_registered(
    tmp_path: Path,
) -> None:
    for name, text in BROKEN_THEMES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.toml").write_text(
        'name = "good"\nprimary = "#123456"\nluminosity_spread = 0.2\ntext_alpha = 1\n'
        '[variables]\nblock-cursor-text-style = "b reverse"\n'
        'input-selection-background = "#81a1c1 35%"\nmail-marked = "red"\n')
    loaded = load_theme_files([shipped_themes_dir(), tmp_path])
    assert {t.name for t in loaded.themes} >= {"good", "popui-dark"}
    assert not {"alpha", "ansi", "var", "sty", "unk"} & {t.name for t in loaded.themes}
    dark = next(t for t in loaded.themes if t.name == "popui-dark")
    assert dark.primary != "#123456"  # the broken replacement was skipped
    assert len(loaded.errors) == len(BROKEN_THEMES), loaded.errors
    text = "\n".join(loaded.errors)
    for name in BROKEN_THEMES:
        assert name in text
    assert "luminosity_spread" in text and "block-cursor-background" in text
    assert "nested too deeply" in text and "mail-markd" in text and "'name' must be" in text
    for theme in loaded.themes:
        theme.to_color_system().generate()  # what registering does later


@run_async
async def test_broken_theme_files_are_skipped_with_the_notice_at_start(tmp_path: Path) -> None:
    for name, text in BROKEN_THEMES.items():
        (tmp_path / name).write_text(text)
    app = PopuiApp(settings=Settings(ui=UiSettings(theme="popui-dark")), state_folder=False,
                   theme_dirs=[shipped_themes_dir(), tmp_path],
                   crash_folder=tmp_path / "crash")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: any(n.title == "Theme files skipped"
                                            for n in app._notifications), what="the notice")
        assert app.theme == "popui-dark" and app.current_theme.primary != "#123456"
    assert app.return_code in (None, 0)
    assert not (tmp_path / "crash").exists()


@run_async
async def test_the_configured_theme_styles_the_first_frame_without_a_second_css_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The theme is taken before the stylesheet is first parsed: setting it once the app ran
    parsed every rule again (a tenth of a warm start)."""
    passes: list[bool] = []
    refresh_css = PopuiApp.refresh_css

    def counted(self: PopuiApp, animate: bool = True) -> None:
        passes.append(animate)
        refresh_css(self, animate)

    monkeypatch.setattr(PopuiApp, "refresh_css", counted)
    app = PopuiApp(settings=Settings(ui=UiSettings(theme="popui-light")), state_folder=False,
                   theme_dirs=[shipped_themes_dir()], crash_folder=tmp_path / "crash")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        light = app.get_theme("popui-light")
        assert light is not None and not light.dark
        assert app.theme == "popui-light" and app.current_theme is light
        assert app.has_class("-light-mode", "-theme-popui-light")
        assert not app.has_class("-dark-mode")
        base = app.screen_stack[0]  # under the account form a new user sees
        assert base.styles.background == Color.parse(light.background or "")
        assert passes == []
        app.theme = "popui-dark"  # a change the user makes still restyles everything
        await pilot.pause()
        assert passes and base.styles.background != Color.parse(light.background or "")


# -- issue 12 item 9: themes degrade well in a 256-colour terminal -------------------------------

def _in_256_colours(color: Color) -> tuple[int, int, int]:
    """What a 256-colour terminal shows for ``color`` (Rich's downgrade, which Textual's output
    goes through when the terminal has no truecolor)."""
    from rich.color import Color as RichColor
    from rich.color import ColorSystem

    shown = RichColor.parse(color.hex6).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return shown.red, shown.green, shown.blue


def _chroma(rgb: tuple[int, int, int]) -> int:
    return max(rgb) - min(rgb)


AREAS = ("background", "surface", "panel", "footer-background", "foreground",
         "block-cursor-blurred-background", "mail-unread", "mail-opened")


@pytest.mark.parametrize("name", ["popui", "popui-dark", "popui-light", "popui-high-contrast"])
def test_themes_degrade_well_without_truecolor(name: str) -> None:
    """A near-grey dark blue (Nord's #2E3440) became a teal block (#005F5F) in 256 colours:
    areas and neutral text must stay neutral, and what tells rows apart must stay apart."""
    themes = {POPUI_THEME.name: POPUI_THEME}
    themes.update({t.name: t for t in load_theme_files([shipped_themes_dir()]).themes})
    theme = themes[name]
    values = dict(theme.to_color_system().generate())
    values.update(mail_variable_defaults(theme))
    values.update(theme.variables or {})
    surface = Color.parse(values["surface"])

    def shown(variable: str) -> tuple[int, int, int]:
        return _in_256_colours(surface + Color.parse(values[variable]))  # alpha over surface

    for variable in AREAS:
        original = surface + Color.parse(values[variable])
        assert _chroma(shown(variable)) <= _chroma(original.rgb) + 20, (
            f"{name}: {variable} {original.hex6} turns into #{bytes(shown(variable)).hex()}")
    areas = {shown(v) for v in ("background", "surface", "panel")}
    assert len(areas) >= 2 or name == "popui-high-contrast", f"{name}: panels merge"
    assert shown("panel") != shown("surface"), f"{name}: the preview's border vanishes"
    rows = [shown(v) for v in ("mail-marked", "mail-unread", "mail-opened")]
    assert len(set(rows)) == 3, f"{name}: marked/unread/opened rows look alike"
    assert shown("surface") not in rows
    for cursor in ("block-cursor-background", "block-cursor-blurred-background"):
        assert shown(cursor) != shown("surface"), f"{name}: the cursor row is invisible"
