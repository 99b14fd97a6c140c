"""Where popui keeps its files: the one place to patch in tests.

On Linux these follow XDG (``~/.config/popui``, ``~/.cache/popui``, ``~/.local/state/popui``) and
honour ``XDG_CONFIG_HOME``, ``XDG_CACHE_HOME`` and ``XDG_STATE_HOME``; elsewhere platformdirs picks
the usual folders. ``POPUI_CONFIG_FILE`` points popui at another configuration file.

Folders are created on first use with mode ``0o700``: they hold mail headers and account names.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

APP_NAME = "popui"
CONFIG_FILE_ENV = "POPUI_CONFIG_FILE"


def _dirs() -> PlatformDirs:
    # Built on each call so environment changes (tests, XDG_* overrides) are honoured.
    return PlatformDirs(APP_NAME, appauthor=False)


def private_dir(path: str | Path) -> Path:
    """``path``, created if missing with every folder popui creates on the way private (0700)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def config_dir() -> Path:
    return private_dir(_dirs().user_config_dir)


def config_file() -> Path:
    """The configuration file: ``$POPUI_CONFIG_FILE`` or ``config.toml`` in the config dir."""
    override = os.environ.get(CONFIG_FILE_ENV)
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.toml"


def themes_dir() -> Path:
    """User theme files (``*.toml``), loaded next to the themes shipped with popui."""
    return private_dir(config_dir() / "themes")


def cache_dir() -> Path:
    """Header cache: can be deleted at any time, popui fetches again what it needs."""
    return private_dir(_dirs().user_cache_dir)


def state_dir() -> Path:
    """Local state worth keeping across runs (e.g. what was already seen)."""
    return private_dir(_dirs().user_state_dir)
