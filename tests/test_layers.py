"""The layer rules of DESIGN.md, checked on what Python really imports (``sys.modules``)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import hubtokens

SRC = Path(hubtokens.__file__).parent


def modules_of(package: str) -> list[str]:
    path = SRC / package.removeprefix("hubtokens.").replace(".", "/")
    return [package] + [
        f"{package}.{m.name}"
        for m in pkgutil.walk_packages([str(path)], "")
        if not m.name.endswith("__main__")
    ]


def imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(result.stdout))


def test_core_never_imports_qt() -> None:
    loaded = imported_after(modules_of("hubtokens.core"))
    assert not {m for m in loaded if m.startswith("PySide6")}
    assert not {m for m in loaded if m.startswith(("hubtokens.gui", "hubtokens.cli"))}


def test_cli_never_imports_qt() -> None:
    loaded = imported_after(modules_of("hubtokens.cli"))
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_localhub_uses_only_the_standard_library() -> None:
    loaded = imported_after(modules_of("hubtokens.localhub"))
    third_party = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"hubtokens"}
    assert not third_party - {"__main__", "_distutils_hack", "sitecustomize", "usercustomize"}
    ours = {
        m for m in loaded if m.startswith("hubtokens.") and not m.startswith("hubtokens.localhub")
    }
    assert not ours


def test_core_modules_do_not_import_upward() -> None:
    """A static check too, so a lazy import inside a function cannot slip through."""
    for path in (SRC / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(
                    ("PySide6", "hubtokens.gui", "hubtokens.cli", "hubtokens.localhub")
                ), (path, name)
