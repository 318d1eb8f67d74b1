"""The Linux bundle's thinner ICU data (installer/pyinstaller/icu_data.py): what it leaves out,
and Qt working on the result (where icupkg, as and ld are installed: ./run test has them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.installer.conftest import INSTALLER, load


@pytest.fixture(scope="module")
def icu_data() -> ModuleType:
    return load(INSTALLER / "pyinstaller" / "icu_data.py", "hubtokens_installer_icu_data")


def test_root_english_and_non_locale_data_stay(icu_data: ModuleType) -> None:
    items = [
        "root.res",
        "pool.res",
        "en.res",
        "en_GB.res",
        "de.res",
        "zh_Hant_TW.res",
        "coll/root.res",
        "coll/en.res",
        "coll/de.res",
        "coll/de_.res",
        "coll/ucadata.icu",
        "zone/en_001.res",
        "zone/fr_CA.res",
        "zone/pool.res",
        "brkitr/root.res",
        "brkitr/cjdict.dict",
        "translit/root.res",
        "ibm-1047_P100-1995.cnv",
        "cnvalias.icu",
        "supplementalData.res",
        "zoneinfo64.res",
        "metaZones.res",
        "likelySubtags.res",
        "uts46.nrm",
        "unames.icu",
    ]
    assert set(icu_data.dropped_items(items)) == {
        "de.res",
        "zh_Hant_TW.res",
        "coll/de.res",
        "coll/de_.res",
        "zone/fr_CA.res",
        "translit/root.res",
        "ibm-1047_P100-1995.cnv",
    }


def pyside_icu_data() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


QT_ON_ICU = """
from PySide6.QtCore import QCollator, QLocale, QTimeZone, QStringDecoder
english = QCollator(QLocale("en_US"))
assert english.compare("apple", "Banana") < 0 and english.compare("b", "a") > 0
assert sorted(["zebra", "Apple", "mango"], key=english.sortKey) == ["Apple", "mango", "zebra"]
assert QCollator(QLocale("de_DE")).compare("a", "b") < 0  # falls back to root, works
assert QLocale("en_US").toUpper("straße") == "STRASSE"
zone = QTimeZone(b"Europe/Berlin")
assert zone.isValid()
name = zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, QLocale("en_US"))
assert name == "Central European Standard Time", name
assert QStringDecoder("UTF-8").isValid()
assert not QStringDecoder("Shift_JIS").isValid()  # its table is gone: the thin data is in use
print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="PySide6 ships ICU on Linux only")
@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("icupkg", "as", "ld")),
    reason="needs icupkg (icu-devtools), as and ld (binutils)",
)
def test_qt_works_on_the_thinner_icu_data(icu_data: ModuleType, tmp_path: Path) -> None:
    original = pyside_icu_data()
    if original is None:
        pytest.skip("this PySide6 has no ICU of its own")
    thinned = icu_data.thinned_library(original, tmp_path)
    assert thinned.name == original.name
    assert thinned.stat().st_size < original.stat().st_size / 3
    name, _, size = icu_data.data_symbol(thinned.read_bytes())
    assert name == icu_data.data_symbol(original.read_bytes())[0]
    assert 0 < size < thinned.stat().st_size
    # Loaded first, it answers for the soname libicuuc asks for.
    env = {**os.environ, "LD_PRELOAD": str(thinned), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", QT_ON_ICU], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
