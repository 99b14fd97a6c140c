"""A bug in the app ends it with one line and a private crash file: no traceback on screen,
and no local variables (which may hold a password) anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import run_async

from popui.app import PopuiApp
from popui.config import Settings

SECRET = "Crash-Secret-5e1f"


def leaky_handler() -> None:
    password = SECRET
    raise RuntimeError(f"boom after reading a password of {len(password)} characters")


@run_async
async def _crash(tmp_path: Path) -> None:
    app = PopuiApp(settings=Settings(), account=None, state_folder=False,
                   crash_folder=tmp_path)
    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            app.call_later(leaky_handler)
            await pilot.pause()
            await pilot.pause()


def test_internal_error_leaves_a_plain_report_and_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _crash(tmp_path)
    out, err = capfd.readouterr()
    (report,) = tmp_path.glob("crash-*.txt")
    text = report.read_text()
    assert "RuntimeError: boom after reading a password of 17 characters" in text
    assert "leaky_handler" in text
    assert SECRET not in text
    assert report.stat().st_mode & 0o777 == 0o600
    assert "popui stopped on an internal error; nothing was deleted." in err
    assert "Traceback" not in err + out and SECRET not in err + out
