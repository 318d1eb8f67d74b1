"""docs/DESIGN.md names only what exists, so a rename that leaves the design behind fails here.

Checked in the page's text: every path under the repository's own folders (``src/``,
``tests/``, ``bench/``, ``scripts/``, ``installer/``, ``bin/``, ``resources/``, ``docs/``,
``.ci/``); every ``path::name`` test id; every dotted ``hubtokens.x.y`` module, optionally
followed by one name it defines at top level; each module of the "Modules" list (a line
``- `name.py` — ...`` under a ``**`src/hubtokens/.../`**`` folder line); and every package
folder of ``src/hubtokens`` having its place in that list.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "DESIGN.md"
SRC = ROOT / "src" / "hubtokens"
TOP_FOLDERS = ("src", "tests", "bench", "scripts", "installer", "bin", "resources", "docs", ".ci")

_ROOTS = "|".join(re.escape(folder) for folder in TOP_FOLDERS)
PATH = re.compile(rf"(?<![\w./~$-])((?:{_ROOTS})/[\w./-]*)(?:::(\w+))?")
MODULE = re.compile(r"(?<![\w./-])hubtokens(?:\.\w+)+")
FOLDER_LINE = re.compile(r"^\*\*`(src/hubtokens/(?:[\w/]+/)?)`\*\*")
MODULE_LINE = re.compile(r"^- `([\w.]+\.py)` — ")


@cache
def _defined_names(path: Path) -> frozenset[str]:
    """Names a module or test file defines at top level (functions, classes, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def _module_file(parts: list[str]) -> Path | None:
    base = SRC.parent.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _check_module(dotted: str) -> str | None:
    """None when ``dotted`` is a module of ours, or a module and one name it defines."""
    parts = dotted.split(".")
    module = _module_file(parts)
    if module is not None:
        return None
    module = _module_file(parts[:-1]) if len(parts) > 2 else None
    if module is not None and parts[-1] in _defined_names(module):
        return None
    return f"no module (or module attribute) {dotted}"


def _check_path(path: str, test: str | None) -> str | None:
    target = ROOT / path.rstrip(".")
    if not target.exists():
        return f"no such path {path}"
    if test is not None and (not target.is_file() or test not in _defined_names(target)):
        return f"no {test} in {path}"
    return None


def problems(text: str) -> list[str]:
    """What ``text`` names that does not exist."""
    found: list[str | None] = []
    for match in PATH.finditer(text):
        found.append(_check_path(match.group(1), match.group(2)))
    for match in MODULE.finditer(text):
        found.append(_check_module(match.group(0)))
    folder: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            folder = None
        elif heading := FOLDER_LINE.match(line):
            folder = heading.group(1)
        elif (entry := MODULE_LINE.match(line)) and folder is not None:
            found.append(_check_path(folder + entry.group(1), None))
    return [problem for problem in found if problem is not None]


def listed_folders(text: str) -> set[str]:
    return {m.group(1) for line in text.splitlines() if (m := FOLDER_LINE.match(line))}


def test_everything_the_design_names_exists() -> None:
    assert problems(DOC.read_text(encoding="utf-8")) == []


def test_the_design_names_enough_to_be_checked() -> None:
    """Guards the patterns: a change that made them match nothing would pass vacuously."""
    text = DOC.read_text(encoding="utf-8")
    assert len(PATH.findall(text)) >= 60
    assert len(MODULE.findall(text)) >= 8
    modules = [line for line in text.splitlines() if MODULE_LINE.match(line)]
    assert len(modules) >= 100


def test_every_package_folder_is_in_the_module_list() -> None:
    packages = {str(init.parent.relative_to(ROOT)) + "/" for init in SRC.rglob("__init__.py")}
    assert packages - listed_folders(DOC.read_text(encoding="utf-8")) == set()


def test_a_renamed_or_missing_name_is_reported() -> None:
    # core/keeper.py is the founding design's name for what became core/keeper/.
    assert problems("the keeper is `src/hubtokens/core/keeper.py`") == [
        "no such path src/hubtokens/core/keeper.py"
    ]
    assert problems("tests/test_layers.py::test_gui_never_imports_qt") == [
        "no test_gui_never_imports_qt in tests/test_layers.py"
    ]
    assert problems("see hubtokens.core.keeper.policy.choose and hubtokens.core.keepers") == [
        "no module (or module attribute) hubtokens.core.keeper.policy.choose",
        "no module (or module attribute) hubtokens.core.keepers",
    ]
    listing = "**`src/hubtokens/core/keeper/`** — the lifecycle.\n- `runner.py` — the runner.\n"
    assert problems(listing) == ["no such path src/hubtokens/core/keeper/runner.py"]


def test_existing_names_pass() -> None:
    text = (
        "`src/hubtokens/core/keeper/policy.py`, tests/test_layers.py::test_cli_never_imports_qt, "
        "hubtokens.core.keeper.policy.decide, hubtokens.gui, bench/.\n"
        "**`src/hubtokens/core/keeper/`** — the lifecycle.\n- `lock.py` — the lock.\n"
    )
    assert problems(text) == []
