"""Themes: popui's default in Python, theme files shipped in ``themes/``, user theme files.

A theme file is TOML with the fields of ``textual.theme.Theme`` and a ``[variables]`` table::

    name = "my-theme"
    primary = "#88C0D0"
    dark = true
    [variables]
    mail-marked = "#BF616A"

Mail colours are theme variables (``MAIL_VARIABLES``) used as ``$mail-marked`` etc. in CSS;
a theme that leaves them out gets values derived from its own palette.
"""

from __future__ import annotations

import contextlib
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import Theme

MAIL_VARIABLES: dict[str, str] = {
    "mail-marked": "messages marked for deletion",
    "mail-opened": "messages opened before (remembered locally)",
    "mail-unread": "messages never opened here",
    "mail-error": "rows whose headers could not be read, and errors",
}

DEFAULT_THEME_NAME = "popui"

# Areas and neutral text are near-greys (HLS saturation under 15%): a 256-colour terminal
# shows them as greys instead of the nearest cube colour (a teal or navy block).
POPUI_THEME = Theme(
    name=DEFAULT_THEME_NAME,
    primary="#5FA8D3",
    secondary="#7E8CE0",
    accent="#F2B84B",
    warning="#F2B84B",
    error="#E5534B",
    success="#57AB5A",
    foreground="#DADDE0",
    background="#16191D",
    surface="#1C1F24",
    panel="#24282E",
    dark=True,
    variables={
        "mail-marked": "#F47067",
        "mail-opened": "#8B949E",
        "mail-unread": "#E9EBED",
        "mail-error": "#F2B84B",
        "block-cursor-blurred-background": "#2D333B",
    },
)


def mail_variable_defaults(theme: Theme) -> dict[str, str]:
    """Mail colours for a theme that does not set them, taken from its palette."""
    colors = theme.to_color_system().generate()
    return {
        "mail-marked": colors["text-error"],
        "mail-opened": colors["foreground-muted"],
        "mail-unread": colors["foreground"],
        "mail-error": colors["text-warning"],
    }


def shipped_themes_dir() -> Path:
    """The theme files installed with popui (``popui/_themes`` in a wheel, ``themes/`` in a
    source checkout)."""
    packaged = Path(__file__).parent / "_themes"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "themes"


def theme_dirs() -> list[Path]:
    """Where theme files are read from, later ones overriding earlier ones of the same name."""
    from popui.locations import themes_dir

    dirs = [shipped_themes_dir()]
    with contextlib.suppress(OSError):
        dirs.append(themes_dir())
    return dirs


class ThemeFileError(ValueError):
    pass


_THEME_FIELDS = {f.name for f in fields(Theme)}
_COLOR_FIELDS = {
    "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost",
}
_NUMBER_FIELDS = {"luminosity_spread", "text_alpha"}
_BOOL_FIELDS = {"dark", "ansi"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")  # it is shown in the palette and saved
_ALPHA = re.compile(r"\d{1,3}(\.\d+)?%")


@functools.cache
def _known_variables() -> frozenset[str]:
    """The variables Textual's CSS uses, plus popui's mail colours."""
    generated = Theme(name="probe", primary="#000000").to_color_system().generate()
    return frozenset(generated) | MAIL_VARIABLES.keys()


def theme_from_toml(text: str, source: str = "<theme>") -> Theme:
    """Build a Theme from TOML text; raise ``ThemeFileError`` saying what is wrong.

    Every field is checked here: Textual reads a theme only when it is applied, and a bad
    value then ends the app.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(f"{source}: not valid TOML ({error})") from None
    except RecursionError:
        raise ThemeFileError(f"{source}: not a theme (nested too deeply)") from None
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeFileError(f"{source}: unknown keys {', '.join(unknown)}")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ThemeFileError(f"{source}: '{key}' is required")
    if not _NAME.fullmatch(data["name"]):
        raise ThemeFileError(f"{source}: 'name' must be up to 40 letters, digits, spaces, "
                             "'-', '_' or '.'")
    for key in _COLOR_FIELDS & set(data):
        _check_color(data[key], f"{source}: {key}")
    for key in _BOOL_FIELDS & set(data):
        if not isinstance(data[key], bool):
            raise ThemeFileError(f"{source}: '{key}' must be true or false")
    for key in _NUMBER_FIELDS & set(data):
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ThemeFileError(f"{source}: '{key}' must be a number from 0 to 1")
        data[key] = float(value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ThemeFileError(f"{source}: [variables] must map names to strings")
    unknown = sorted(variables.keys() - _known_variables())
    if unknown:
        raise ThemeFileError(f"{source}: unknown variables {', '.join(unknown)}")
    for key, value in variables.items():
        _check_variable(key, value, f"{source}: variables.{key}")
    try:
        theme = Theme(**data)
        theme.to_color_system().generate()  # what Textual does when the theme is applied
    except (TypeError, ValueError, ArithmeticError, ColorParseError) as error:
        raise ThemeFileError(f"{source}: {error}") from None
    return theme


def _check_color(value: object, where: str) -> None:
    if not isinstance(value, str):
        raise ThemeFileError(f"{where} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{where}: '{value}' is not a colour") from None


def _check_variable(key: str, value: str, where: str) -> None:
    """A text style for ``*-style`` variables, else a colour with an optional alpha (``#fff 35%``,
    ``auto 87%``), the forms Textual's own themes use."""
    words = value.split()
    if key.endswith("-style"):
        if not words or not set(words) <= VALID_STYLE_FLAGS:
            raise ThemeFileError(f"{where}: '{value}' is not a text style (words from: "
                                 f"{', '.join(sorted(VALID_STYLE_FLAGS))})")
        return
    if len(words) == 2 and _ALPHA.fullmatch(words[1]):
        words.pop()
    if words in (["auto"], ["initial"]) and key not in MAIL_VARIABLES:
        return
    _check_color(" ".join(words) if len(words) == 1 else value, where)


@dataclass
class LoadedThemes:
    themes: list[Theme]
    errors: list[str]


def load_theme_files(dirs: Iterable[Path] | None = None) -> LoadedThemes:
    """Every ``*.toml`` theme in ``dirs``; broken files are listed in ``errors``, not raised."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in theme_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path.read_text(encoding="utf-8"), path.name)
            except (OSError, UnicodeDecodeError) as error:
                errors.append(f"{path.name}: cannot read ({error.__class__.__name__})")
                continue
            except ThemeFileError as error:
                errors.append(str(error))
                continue
            themes[theme.name] = theme
    return LoadedThemes(list(themes.values()), errors)
