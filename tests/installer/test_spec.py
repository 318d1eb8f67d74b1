"""The PyInstaller spec against the package it freezes: the three programs of pyproject.toml,
each from its own entry point, and a credential helper frozen without what its code never
imports on Linux. Read statically: nothing is built here (scripts/ci-installer.sh builds)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from tests.installer.conftest import INSTALLER, PROGRAMS, ROOT

SPEC = INSTALLER / "pyinstaller" / "hubtokens.spec"
ENTRY = INSTALLER / "pyinstaller" / "entry"
SRC = ROOT / "src"


def spec_calls(name: str) -> list[ast.Call]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def programs_in_spec() -> dict[str, tuple[str, bool]]:
    """program name -> (entry script, console) from ``executable(part, NAME, console=...)`` and
    ``part = analysis(SCRIPT, ...)``."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    scripts: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "analysis"
        ):
            script = node.value.args[0]
            assert isinstance(script, ast.Constant)
            for target in node.targets:
                assert isinstance(target, ast.Name)
                scripts[target.id] = script.value
    programs = {}
    for call in spec_calls("executable"):
        part, name = call.args
        assert isinstance(part, ast.Name) and isinstance(name, ast.Constant)
        console = next(k.value for k in call.keywords if k.arg == "console")
        assert isinstance(console, ast.Constant)
        programs[name.value] = (scripts[part.id], console.value)
    return programs


def test_the_spec_builds_the_three_programs_of_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    entry_points = {**project["scripts"], **project["gui-scripts"]}
    # The helper is a launcher script (bin/), not a console script: it names its entry itself.
    for launcher in pyproject["tool"]["setuptools"]["script-files"]:
        found = re.search(r"^    from (\S+) import (\w+)$", (ROOT / launcher).read_text(), re.M)
        assert found, launcher
        entry_points[Path(launcher).name] = f"{found[1]}:{found[2]}"
    assert set(entry_points) == set(PROGRAMS)
    programs = programs_in_spec()
    assert {name: console for name, (_, console) in programs.items()} == {
        "hubtokens-gui": False,  # windowed: no console window on Windows
        "hubtokens": True,
        "docker-credential-hubtokens": True,
    }
    for name, (script, _) in programs.items():
        module, function = entry_points[name].split(":")
        text = (ENTRY / script).read_text(encoding="utf-8")
        assert f"from {module} import {function}\n" in text, (name, script)
        assert f"raise SystemExit({function}())" in text
        # A script named after the package would shadow it (PyInstaller puts ENTRY on the path).
        assert Path(script).stem not in {"hubtokens", "PySide6", "keyring"}


def test_one_folder_collects_all_three() -> None:
    (collect,) = spec_calls("COLLECT")
    names = {arg.id for arg in collect.args if isinstance(arg, ast.Name)}
    assert {"gui_exe", "cli_exe", "helper_exe"} <= names
    assert isinstance(collect.args[0], ast.Name) and collect.args[0].id == "gui_exe", (
        "the .app's main executable is COLLECT's first"
    )
    assert any(
        k.arg == "name" and getattr(k.value, "value", None) == "hubtokens" for k in collect.keywords
    )


def test_the_runtime_assets_and_keyring_backends_are_collected() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert '"hubtokens" / "gui" / "assets"' in text
    assert 'collect_submodules("keyring.backends")' in text
    assert 'copy_metadata("keyring")' in text  # keyring finds its backends by entry point


def module_file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imports_of(path: Path) -> set[str]:
    """Every module a file imports anywhere (top level, functions, TYPE_CHECKING blocks)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def reached_from(package: str) -> dict[str, set[str]]:
    """Module -> the modules of ours that import it, from every module of ``package`` on,
    following our own imports."""
    start = [
        f"{package}.{path.stem}" if path.stem != "__init__" else package
        for path in sorted(SRC.joinpath(*package.split(".")).glob("*.py"))
    ]
    importers: dict[str, set[str]] = {}
    todo, seen = list(start), set(start)
    while todo:
        module = todo.pop()
        path = module_file(module)
        if path is None:
            continue
        for imported in imports_of(path):
            importers.setdefault(imported, set()).add(module)
            if imported.startswith("hubtokens") and imported not in seen and module_file(imported):
                seen.add(imported)
                todo.append(imported)
    return importers


def excluded(module: str, exclusions: list[str]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in exclusions)


def test_the_helper_is_frozen_with_everything_its_code_imports(bundle_rules: ModuleType) -> None:
    """The helper's archive leaves out Qt, requests and (on Linux) keyring: none of its modules
    may import one of those, or the frozen helper would fail where the tests pass."""
    importers = reached_from("hubtokens.credhelper")
    everywhere = [*bundle_rules.EXCLUDED_MODULES, *bundle_rules.HELPER_EXCLUDED_MODULES]
    wrongly_left_out = {m: sorted(by) for m, by in importers.items() if excluded(m, everywhere)}
    assert not wrongly_left_out
    # Left out on Linux only: each may be imported only where the helper runs it on macOS and
    # Windows alone (keyringstore; AppPaths.default via platformdirs).
    linux_only = bundle_rules.HELPER_EXCLUDED_MODULES_LINUX
    mac_and_windows_only = {"hubtokens.credhelper.keyringstore", "hubtokens.core.paths"}
    for module, by in importers.items():
        if excluded(module, linux_only):
            assert by <= mac_and_windows_only, (module, sorted(by))
    third_party = {m.split(".")[0] for m in importers if not m.startswith("hubtokens")} - set(
        sys.stdlib_module_names
    )
    assert third_party <= set(linux_only), (
        "the helper's code imports a package it is frozen without"
    )
