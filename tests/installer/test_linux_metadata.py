"""The Linux desktop entry and AppStream metainfo in resources/linux/, and the .deb script.

desktop-file-validate (desktop-file-utils) and appstreamcli (appstream) run where installed:
./run test installs both, so CI always runs them; elsewhere those two checks skip.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import hubtokens
from hubtokens.gui.autostart import APP_ID as AUTOSTART_APP_ID
from tests.installer.conftest import APP_ID, INSTALLER, PROGRAMS, RESOURCES, ROOT

DESKTOP = RESOURCES / "linux" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{APP_ID}.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_app_id_is_the_one_the_app_uses() -> None:
    assert AUTOSTART_APP_ID == APP_ID  # the app's desktop file name and autostart entry


def test_the_desktop_entry_starts_the_app_from_the_menu() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Hub Tokens"
    assert entry["Exec"] == "hubtokens-gui"  # on PATH (/usr/bin in the .deb)
    assert entry["TryExec"] == "hubtokens-gui"  # hidden, not broken, once uninstalled
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert "Development" in entry["Categories"].split(";")
    keywords = entry["Keywords"].split(";")
    assert {"docker", "token", "registry", "credentials"} <= set(keywords)
    assert entry["Keywords"].endswith(";")


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed"
)
def test_the_desktop_entry_is_valid() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout + done.stderr


def test_the_metainfo_describes_this_app_and_version() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("name") == "Hub Tokens"
    launchable = component.find("launchable")
    assert launchable is not None and launchable.text == DESKTOP.name
    assert {b.text for b in component.iter("binary")} == set(PROGRAMS)
    keywords = {k.text for k in component.iter("keyword")}
    assert {"docker", "token", "registry", "credentials"} <= keywords
    releases = component.findall("releases/release")
    assert releases, "a release per version"
    assert releases[0].get("version") == hubtokens.__version__, (
        "add a <release> for the new version (newest first)"
    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{hubtokens.__version__}] - {releases[0].get('date')}" in changelog


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream not installed")
def test_the_metainfo_passes_appstreamcli_validate() -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_deb_script_installs_what_the_metadata_names() -> None:
    script = (INSTALLER / "linux" / "build-deb.sh").read_text(encoding="utf-8")
    assert 'ln -s "/opt/hubtokens/$program" "$pkg/usr/bin/$program"' in script
    assert "for program in hubtokens hubtokens-gui docker-credential-hubtokens; do" in script
    # The helper's launcher, or its symlink where the system Python cannot run it.
    assert '"$python" "$here/helper_tree.py" "$pkg"' in script
    assert '"$pkg/usr/share/applications/$app_id.desktop"' in script
    assert '"$pkg/usr/share/metainfo/$app_id.metainfo.xml"' in script
    assert "dpkg-shlibdeps" in script  # Depends from what the bundle links
    assert "Recommends: gnome-keyring" in script
    for maintainer_script in ("postinst", "prerm", "postrm", "preinst"):
        assert f"DEBIAN/{maintainer_script}" not in script  # nothing runs as root on a home


@pytest.mark.parametrize(
    "script",
    ["installer/linux/build-deb.sh", "installer/macos/build-app.sh", "scripts/ci-installer.sh"],
)
def test_the_shell_scripts_parse(script: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(ROOT / script)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
