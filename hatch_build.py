"""Build hook: compiles popui's one C module, ``popui/mail/_field_scan.c``, into the wheel.

Without a working C compiler (or Python's headers) the wheel stays pure Python and popui runs
the same function in Python (``popui/mail/field_scan.py``; cold fills are slower), so
installing never fails for want of a compiler. setuptools does the compiling: it knows every
platform's compiler and flags.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "popui.mail._field_scan"
SOURCE = "popui/mail/_field_scan.c"


def build_in_place(root: Path) -> Path:
    """Compile ``SOURCE`` next to itself; the path of the built module."""
    from setuptools import Distribution, Extension

    extension = Extension(MODULE, [SOURCE])  # with Python's own flags (-O3 on Linux)
    dist = Distribution({"name": "popui", "ext_modules": [extension]})
    command = dist.get_command_obj("build_ext")
    command.inplace = True  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as temp:  # nothing reused from an earlier build
        command.build_temp = os.path.join(temp, "temp")  # type: ignore[attr-defined]
        command.build_lib = os.path.join(temp, "lib")  # type: ignore[attr-defined]
        cwd = Path.cwd()
        os.chdir(root)
        try:
            command.ensure_finalized()
            command.run()
            built = root / command.get_ext_filename(MODULE)  # type: ignore[attr-defined]
        finally:
            os.chdir(cwd)
    return built


class FieldScanHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        try:
            built = build_in_place(root)
        except Exception as exc:  # no compiler, no headers: popui still works, slower
            self.app.display_warning(
                f"popui: {SOURCE} was not compiled ({exc}); the Python version will be used")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install imports it from the source tree
            build_data["force_include"][str(built)] = str(built.relative_to(root))
