"""The macOS and Windows installers cannot be built on Linux CI; what can be checked here is
that they say what the app expects: a tray-only .app, and on Windows a PATH entry and the very
Run-key value the app's own "Start at login" switch reads and writes."""

from __future__ import annotations

import plistlib
import re
from types import ModuleType

from hubtokens.gui.autostart import BACKGROUND_FLAG, DISPLAY_NAME, RUN_KEY, WindowsRunKey
from tests.installer.conftest import APP_ID, INSTALLER

ISS = (INSTALLER / "windows" / "hubtokens.iss").read_text(encoding="utf-8")


def iss_define(name: str) -> str:
    match = re.search(rf'^#define {name} "([^"]*)"$', ISS, re.MULTILINE)
    assert match, name
    return match[1]


def test_the_mac_app_is_tray_only(macos_info_plist: ModuleType) -> None:
    plist = macos_info_plist.info_plist("1.2.3")
    assert plist["LSUIElement"] is True  # no Dock icon
    assert plist["CFBundleShortVersionString"] == "1.2.3"
    assert plist["CFBundleDisplayName"] == "Hub Tokens"
    plistlib.loads(plistlib.dumps(plist))  # serialisable as Info.plist


def test_the_mac_entitlements_are_a_plist() -> None:
    entitlements = plistlib.loads((INSTALLER / "macos" / "entitlements.plist").read_bytes())
    assert entitlements == {"com.apple.security.cs.allow-unsigned-executable-memory": True}


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_the_windows_run_entry_is_the_apps_own() -> None:
    """The installer's "Start Hub Tokens when I sign in" writes what WindowsRunKey.enable()
    writes, so the app's switch shows it as on (and leaves it as it is)."""
    assert iss_define("RunValueName") == DISPLAY_NAME
    assert iss_define("BackgroundFlag") == BACKGROUND_FLAG
    assert iss_define("AppId") == APP_ID
    line = next(
        line for line in ISS.splitlines() if line.startswith('Root: HKCU; Subkey: "Software')
    )
    assert f'Subkey: "{RUN_KEY}"' in line
    assert "Flags: uninsdeletevalue; Tasks: startatlogin" in line
    value = re.search(r'ValueData: "((?:[^"]|"")*)"', line)
    assert value
    install_dir = r"C:\Users\me\AppData\Local\Programs\Hub Tokens"
    written_by_installer = (
        value[1]
        .replace('""', '"')
        .replace("{app}", install_dir)
        .replace("{#Gui}", iss_define("Gui"))
        .replace("{#BackgroundFlag}", BACKGROUND_FLAG)
    )
    registry = FakeRegistry()
    WindowsRunKey(registry, [rf"{install_dir}\hubtokens-gui.exe"]).enable()
    assert registry.values == {DISPLAY_NAME: written_by_installer}


def test_the_windows_installer_puts_the_helper_on_path_and_takes_it_off() -> None:
    assert 'Name: "addtopath"' in ISS and 'Name: "startatlogin"' in ISS
    assert "ChangesEnvironment=yes" in ISS
    assert "WizardIsTaskSelected('addtopath')" in ISS
    assert "AddToPath(ExpandConstant('{app}'))" in ISS
    assert "RemoveFromPath(ExpandConstant('{app}'))" in ISS
    assert 'Source: "..\\..\\dist\\hubtokens\\*"' in ISS  # the whole bundle: all three programs
