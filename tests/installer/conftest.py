"""Fixtures for the installer checks: the build scripts' own modules, loaded from installer/."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

# Read when pytest-qt makes the QApplication (the icon tests render with Qt).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
RESOURCES = ROOT / "resources"
APP_ID = "io.github.hubtokens.HubTokens"
PROGRAMS = ("hubtokens-gui", "hubtokens", "docker-credential-hubtokens")


def load(path: Path, name: str) -> ModuleType:
    """A module from a file outside the package (installer/ is not importable)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look modules up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundle_rules() -> ModuleType:
    return load(INSTALLER / "pyinstaller" / "bundle_rules.py", "hubtokens_installer_bundle_rules")


@pytest.fixture(scope="session")
def render_icons() -> ModuleType:
    return load(INSTALLER / "render_icons.py", "hubtokens_installer_render_icons")


@pytest.fixture(scope="session")
def macos_info_plist() -> ModuleType:
    return load(INSTALLER / "macos" / "info_plist.py", "hubtokens_installer_info_plist")
