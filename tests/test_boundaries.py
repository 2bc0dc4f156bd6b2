"""engine/ and cuda_ops/ never import Qt or the GUI package (DESIGN §3)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "designer_app", "superqt", "qtpy")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


def test_engine_and_cuda_ops_have_no_gui_imports() -> None:
    offenders = []
    files = list((ROOT / "engine").rglob("*.py")) + list((ROOT / "cuda_ops").rglob("*.py"))
    assert files, "no engine sources found"
    for f in files:
        for name in _imports(f):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{f.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_checker_catches_a_gui_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6 import QtCore\nimport designer_app.main\n")
    assert [n.split(".")[0] for n in _imports(bad)] == ["PySide6", "designer_app"]


def test_importing_the_engine_loads_no_qt() -> None:
    code = (
        "import sys, importlib, pkgutil, engine, cuda_ops\n"
        "for pkg in (engine, cuda_ops):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'designer_app')]\n"
        "print(bad); assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=600)
