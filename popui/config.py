"""The configuration file: TOML read with ``tomllib``, validated into one typed ``Settings``.

A bad file never ends in a traceback: ``ConfigError`` names the file, the line, the key and what
would be valid. Unknown keys are errors, not silently ignored (a typo would otherwise drop a
setting without a word). The file holds no passwords: those come from a command or the keyring.

Writing (``save_account``, ``remove_account``, ``save_ui_choice``) edits the text of the file,
keeping the user's comments and layout, and validates the result before replacing the file.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from popui.patterns import PatternError, compile_pattern
from popui.pop3.account import AUTH_CHOICES, SECURITY_CHOICES, Account

PREVIEW_CHOICES: tuple[str, ...] = ("right", "bottom", "off")
Preview = Literal["right", "bottom", "off"]
FieldValue = str | int | float | bool


class ConfigError(Exception):
    """A problem in the configuration file, with where it is and what would be valid."""

    def __init__(
        self, problem: str, path: Path | None = None, line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.key = key
        super().__init__(self._message())

    def _message(self) -> str:
        where = str(self.path) if self.path is not None else "configuration"
        if self.line is not None:
            where += f", line {self.line}"
        if self.key is not None:
            where += f", key {self.key}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class SecretSettings:
    """Where an account's secret comes from, when not from the keyring or a prompt."""

    password_command: str | None = None
    oauth2_token_command: str | None = None


@dataclass(frozen=True)
class UiSettings:
    theme: str = "popui-dark"
    preview: Preview = "right"
    date_format: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    """Named filters (``[ui.filters] big = "~z >5M"``): name to pattern text, each checked to
    parse when the file is read; compile them when used, so ``~d <3d`` counts from then."""
    browser: str | None = None
    """Command that opens a link (``{}`` or the end of the command gets the URL); default
    ``$BROWSER``, else ``xdg-open``."""
    opener: str | None = None
    """Command that opens an attachment popui does not show itself (``{}`` or the end gets
    the file); default: the mailcap entry for its type, else ``xdg-open``."""


@dataclass(frozen=True)
class Settings:
    """Everything from the configuration file.

    ``default_account`` is the account marked ``default = true``, or the only account when there
    is just one; ``None`` when there is no account or several without a default.
    """

    accounts: dict[str, Account] = field(default_factory=dict)
    secrets: dict[str, SecretSettings] = field(default_factory=dict)
    default_account: str | None = None
    ui: UiSettings = field(default_factory=UiSettings)
    path: Path | None = None


# --- reading ------------------------------------------------------------------------------------

def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the configuration file (default: ``locations.config_file()``).

    A missing file gives empty ``Settings``; anything wrong raises ``ConfigError``.
    """
    if path is None:
        from popui.locations import config_file

        path = config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {_reason(exc)}", path) from None
    return parse_settings(text, path)


def parse_settings(text: str, path: Path | None = None) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)$", message)
        line = int(m.group(1)) if m else None
        problem = message[: m.start()].strip() if m else message
        raise ConfigError(
            f"not valid TOML: {problem}; see https://toml.io for the syntax", path, line,
        ) from None
    except RecursionError:
        raise ConfigError("not a configuration file: values nested too deeply", path) from None
    return _Validator(text, path).settings(data)


def account_from_fields(name: str, fields: Mapping[str, Any]) -> tuple[Account, SecretSettings]:
    """Validate one account's fields (as written in ``[accounts.NAME]``), e.g. from a form."""
    validator = _Validator("", None)
    return validator.account(name, dict(fields))


_ACCOUNT_KEYS = (
    "host", "port", "user", "security", "auth", "ca_file", "tls_fingerprint",
    "allow_plaintext_password", "password_command", "oauth2_token_command", "timeout",
    "keepalive", "preview_lines", "max_message_size", "fetch_to", "default",
)
_UI_KEYS = ("theme", "preview", "date_format", "keymap", "filters", "browser", "opener")
_TOP_KEYS = ("accounts", "ui")


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values)


class _Validator:
    def __init__(self, text: str, path: Path | None) -> None:
        self.path = path
        self.lines = _KeyLines(text)

    def error(self, table: tuple[str, ...], key: str | None, problem: str) -> ConfigError:
        dotted = ".".join(_toml_key(p) for p in (*table, *((key,) if key else ())))
        return ConfigError(problem, self.path, self.lines.find(table, key), dotted or None)

    def unknown(
        self, table: tuple[str, ...], data: Mapping[str, Any], known: tuple[str, ...],
    ) -> None:
        for key in data:
            if key not in known:
                raise self.error(table, key, f"unknown key; valid keys here: {', '.join(known)}")

    def settings(self, data: dict[str, Any]) -> Settings:
        self.unknown((), data, _TOP_KEYS)
        ui = self.ui(self.table((), "ui", data.get("ui", {})))
        accounts_data = self.table((), "accounts", data.get("accounts", {}))
        accounts: dict[str, Account] = {}
        secrets: dict[str, SecretSettings] = {}
        defaults: list[str] = []
        for name, fields in accounts_data.items():
            fields = self.table(("accounts",), name, fields)
            accounts[name], secrets[name] = self.account(name, fields)
            if fields.get("default"):
                defaults.append(name)
        if len(defaults) > 1:
            raise self.error(
                ("accounts", defaults[1]), "default",
                f"two accounts have default = true ({defaults[0]} and {defaults[1]}); "
                "keep it on one",
            )
        default = defaults[0] if defaults else None
        if default is None and len(accounts) == 1:
            default = next(iter(accounts))
        return Settings(accounts, secrets, default, ui, self.path)

    def table(self, parent: tuple[str, ...], key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            hint = f"[{'.'.join(_toml_key(p) for p in (*parent, key))}]"
            raise self.error(parent, key, f"must be a table ({hint} section), not {_kind(value)}")
        return value

    def ui(self, data: dict[str, Any]) -> UiSettings:
        table = ("ui",)
        self.unknown(table, data, _UI_KEYS)
        get = self.getter(table, data)
        keymap = self.table(table, "keymap", data.get("keymap", {}))
        for binding, keys in keymap.items():
            if not isinstance(keys, str) or not keys.strip():
                raise self.error(
                    (*table, "keymap"), binding,
                    'must be a string of keys, e.g. "d,delete" (comma-separated)',
                )
        return UiSettings(
            theme=get("theme", _text, UiSettings.theme),
            preview=get("preview", _one_of(PREVIEW_CHOICES), UiSettings.preview),
            date_format=get("date_format", _text, None),
            keymap=dict(keymap),
            filters=self.filters(self.table(table, "filters", data.get("filters", {}))),
            browser=get("browser", _text, None),
            opener=get("opener", _text, None),
        )

    def filters(self, data: dict[str, Any]) -> dict[str, str]:
        table = ("ui", "filters")
        for name, pattern in data.items():
            if not name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
                raise self.error(table, name, "filter names must be printable and not empty")
            if not isinstance(pattern, str) or not pattern.strip():
                raise self.error(
                    table, name,
                    f'must be a pattern in quotes, e.g. "~z >5M", not {_kind(pattern)}',
                )
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                raise self.error(
                    table, name,
                    f"{_quote(pattern)} is not a valid pattern: {exc.problem} "
                    f"(at character {exc.position + 1})",
                ) from None
        return dict(data)

    def account(self, name: str, data: dict[str, Any]) -> tuple[Account, SecretSettings]:
        table = ("accounts", name)
        if not name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise self.error(("accounts",), name, "account names must be printable and not empty")
        self.unknown(table, data, _ACCOUNT_KEYS)
        get = self.getter(table, data)
        for required in ("host", "user"):
            if required not in data:
                raise self.error(table, required, "missing; every account needs host and user")
        ca_file = get("ca_file", _text, None)
        if ca_file is not None:
            try:
                ca_file = str(Path(ca_file).expanduser())
            except RuntimeError:  # "~someone/..." for a user that does not exist
                raise self.error(table, "ca_file", f"no such home folder in {ca_file}") from None
            if not Path(ca_file).is_file():
                raise self.error(table, "ca_file", f"no such file: {ca_file}")
        fetch_to = get("fetch_to", _text, None)
        if fetch_to is not None:
            expanded = os.path.expanduser(fetch_to)  # keeps a trailing "/" (a Maildir)
            if expanded.startswith("~"):  # "~someone/..." for a user that does not exist
                raise self.error(table, "fetch_to", f"no such home folder in {fetch_to}")
            fetch_to = expanded
            if "\0" in fetch_to:
                raise self.error(table, "fetch_to", "must not contain a NUL character")
        get("default", _boolean, False)
        account = Account(
            name=name,
            host=get("host", _hostname, ""),
            user=get("user", _text, ""),
            port=get("port", _port, None),
            security=get("security", _one_of(SECURITY_CHOICES), "tls"),
            auth=get("auth", _one_of(AUTH_CHOICES), "auto"),
            ca_file=ca_file,
            tls_fingerprint=get("tls_fingerprint", _fingerprint, None),
            allow_plaintext_password=get("allow_plaintext_password", _boolean, False),
            timeout=get("timeout", _number(above=0), Account.timeout),
            keepalive=get("keepalive", _number(above=0), Account.keepalive),
            preview_lines=get("preview_lines", _integer(minimum=0), Account.preview_lines),
            max_message_size=get(
                "max_message_size", _integer(minimum=1), Account.max_message_size,
            ),
            fetch_to=fetch_to,
        )
        secrets = SecretSettings(
            password_command=get("password_command", _text, None),
            oauth2_token_command=get("oauth2_token_command", _text, None),
        )
        return account, secrets

    def getter(self, table: tuple[str, ...], data: dict[str, Any]) -> Callable[..., Any]:
        def get(key: str, check: Callable[[Any], Any], default: Any) -> Any:
            if key not in data:
                return default
            try:
                return check(data[key])
            except ValueError as exc:
                raise self.error(table, key, str(exc)) from None

        return get


# Checks: return the value or raise ValueError saying what would be valid.

def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {_quote(value)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'must be a string in quotes, e.g. "text", not {_kind(value)}')
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _hostname(value: Any) -> str:
    host = _text(value)
    if any(c.isspace() or c in "/@" for c in host):
        raise ValueError(f"{_quote(host)} is not a host name, e.g. \"pop.example.com\"")
    return host


def _fingerprint(value: Any) -> str:
    from popui.pop3.transport import format_fingerprint, normalize_fingerprint

    return format_fingerprint(normalize_fingerprint(_text(value)))


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{_kind(value)} is not valid; use one of {_choices(choices)}")
        return str(value)

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false (no quotes), not {_kind(value)}")
    return value


def _port(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ValueError(f"must be a port number from 1 to 65535, not {_kind(value)}")
    return value


def _integer(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"must be a whole number of at least {minimum}, not {_kind(value)}")
        return value

    return check


def _number(above: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not (ok and math.isfinite(value) and value > above):
            raise ValueError(f"must be a number of seconds, more than {above}, not {_kind(value)}")
        return float(value)

    return check


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# --- finding the line of a key -----------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY_LINE = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_DOTTED_PART = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(\.|$)""")


def _split_dotted(text: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        m = _DOTTED_PART.match(text, pos)
        if not m:
            return None
        parts.append(_unquote(m.group(1)))
        pos = m.end()
    return tuple(parts)


def _unquote(key: str) -> str:
    if key.startswith('"'):
        try:
            return str(tomllib.loads(f"k = {key}")["k"])
        except tomllib.TOMLDecodeError:
            return key
    if key.startswith("'"):
        return key[1:-1]
    return key


class _KeyLines:
    """Best-effort map from (table, key) to a 1-based line number, for error messages.

    ``tomllib`` gives no positions; this scans ``[table]`` headers and ``key =`` lines, which is
    how people write this file. Anything it cannot place gets no line, never a wrong one.
    """

    def __init__(self, text: str) -> None:
        self.headers: dict[tuple[str, ...], int] = {}
        self.keys: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parsed = _split_dotted(header.group(1))
                if parsed is not None:
                    table = parsed
                    for depth in range(1, len(table) + 1):  # [a.b] also places table a
                        self.headers.setdefault(table[:depth], number)
                continue
            key = _KEY_LINE.match(line)
            if key:
                self.keys.setdefault((*table, _unquote(key.group(1))), number)

    def find(self, table: tuple[str, ...], key: str | None) -> int | None:
        if key is not None:
            path = (*table, key)
            if path in self.keys:
                return self.keys[path]
            if path in self.headers:
                return self.headers[path]
        return self.headers.get(table)


# --- writing -----------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _quote(value: str) -> str:
    """A TOML basic string: every control character escaped, so nothing can break out."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _quote(key)


def _toml_value(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("numbers must be finite")
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"cannot write {type(value).__name__} to the configuration")


def _table_span(lines: list[str], table: tuple[str, ...]) -> tuple[int, int] | None:
    """Index of the ``[table]`` header line and the end of its body (next header or EOF)."""
    start = None
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if not header:
            continue
        if start is not None:
            return start, _trim_end(lines, start, index)
        if _split_dotted(header.group(1)) == table:
            start = index
    return (start, _trim_end(lines, start, len(lines))) if start is not None else None


def _trim_end(lines: list[str], start: int, end: int) -> int:
    # Blank lines and comments just before the next header belong to the next table.
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].lstrip()[:1] == "#"):
        end -= 1
    return end


def _write_checked(path: Path, text: str, check: Callable[[Settings], None]) -> Settings:
    """Validate ``text`` as the new file, run ``check`` on it, then replace the file atomically."""
    try:
        settings = parse_settings(text, path)
    except ConfigError as exc:
        raise ConfigError(
            f"could not update the file safely ({exc.problem}); please edit it by hand", path,
        ) from None
    check(settings)
    try:
        _replace_file(path.resolve(), text)  # through a symlink (dotfiles), never over it
    except OSError as exc:
        raise ConfigError(f"cannot write the file: {_reason(exc)}", path) from None
    return settings


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it over
    ``path``: a crash leaves the old file or the new one, never a truncated one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {_reason(exc)}", path) from None


def _join(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


def save_account(path: Path, account_name: str, fields: Mapping[str, FieldValue]) -> Settings:
    """Add ``[accounts.NAME]`` with ``fields``, or replace that table if it exists.

    Comments and other tables are kept. The new file is validated first: on any problem a
    ``ConfigError`` is raised and the file is left as it was. Returns the new settings.
    """
    table = ("accounts", account_name)
    block = [f"[accounts.{_toml_key(account_name)}]"]
    block += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in fields.items() if v is not None]
    lines = _read_lines(path)
    span = _table_span(lines, table)
    if span is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ([""] if lines else []) + block
    else:
        lines[span[0]: span[1]] = block

    def check(settings: Settings) -> None:
        if account_name not in settings.accounts:
            raise ConfigError(
                f"could not add account {account_name!r} safely; please edit the file by hand",
                path,
            )

    return _write_checked(path, _join(lines), check)


def remove_account(path: Path, account_name: str) -> Settings:
    """Delete the ``[accounts.NAME]`` table; ``KeyError`` when there is none."""
    lines = _read_lines(path)
    span = _table_span(lines, ("accounts", account_name))
    if span is None:
        raise KeyError(account_name)
    del lines[span[0]: span[1]]
    while span[0] < len(lines) and span[0] > 0 and not lines[span[0]].strip() \
            and not lines[span[0] - 1].strip():
        del lines[span[0]]

    def check(settings: Settings) -> None:
        if account_name in settings.accounts:
            raise ConfigError(
                f"could not remove account {account_name!r} safely; please edit the file by hand",
                path,
            )

    return _write_checked(path, _join(lines), check)


def save_ui_choice(path: Path, key: str, value: FieldValue) -> Settings:
    """Set ``key = value`` in ``[ui]`` (e.g. the theme picked in the app), keeping the rest."""
    if key not in _UI_KEYS or key in ("keymap", "filters"):
        raise ValueError(f"not a [ui] setting: {key}")
    line = f"{key} = {_toml_value(value)}"
    lines = _read_lines(path)
    span = _table_span(lines, ("ui",))
    if span is None:
        lines[0:0] = ["[ui]", line, ""] if lines else ["[ui]", line]
    else:
        _set_key_line(lines, span, key, line)

    def check(settings: Settings) -> None:
        if getattr(settings.ui, key) != value:
            raise ConfigError(
                f"could not save ui.{key} safely; please edit the file by hand", path,
            )

    return _write_checked(path, _join(lines), check)


def save_account_key(path: Path, account_name: str, key: str, value: FieldValue) -> Settings:
    """Set one key of ``[accounts.NAME]`` (e.g. the ``tls_fingerprint`` the user accepted),
    keeping the rest of the table and the file. ``KeyError`` when there is no such table."""
    if key not in _ACCOUNT_KEYS:
        raise ValueError(f"not an account setting: {key}")
    lines = _read_lines(path)
    span = _table_span(lines, ("accounts", account_name))
    if span is None:
        raise KeyError(account_name)
    _set_key_line(lines, span, key, f"{_toml_key(key)} = {_toml_value(value)}")

    def check(settings: Settings) -> None:
        written = settings.accounts.get(account_name)
        if written is None or getattr(written, key, value) != value:
            raise ConfigError(
                f"could not save accounts.{account_name}.{key} safely; please edit the file "
                "by hand", path,
            )

    return _write_checked(path, _join(lines), check)


def _set_key_line(lines: list[str], span: tuple[int, int], key: str, line: str) -> None:
    """Replace the ``key = …`` line of the table at ``span``, or add it at the table's end."""
    for index in range(span[0] + 1, span[1]):
        m = _KEY_LINE.match(lines[index])
        if m and _unquote(m.group(1)) == key:
            lines[index] = line
            return
    lines.insert(span[1], line)

