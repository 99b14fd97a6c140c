"""The layers: the engine, mail, store, the Mailbox model and the plain modules never import
Textual; screens and widgets never import the app (not even for type checking)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "popui"


@pytest.mark.parametrize("module", [
    "popui.pop3", "popui.mail", "popui.store", "popui.mailbox", "popui.mailout",
    "popui.rows", "popui.config", "popui.credentials",
])
def test_core_layers_do_not_import_textual(module: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({module!r})\n"
        "for m in pkgutil.walk_packages(getattr(pkg, '__path__', []), pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imports {out.stdout.strip()}"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "screens").glob("*.py"))
                         + sorted((PACKAGE / "widgets").glob("*.py")), ids=lambda p: p.name)
def test_screens_and_widgets_never_import_the_app(path: Path) -> None:
    assert not {n for n in _imported(path) if n == "popui.app" or n.startswith("popui.app.")}
