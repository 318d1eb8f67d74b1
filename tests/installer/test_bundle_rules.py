"""What the frozen bundle keeps and drops (installer/pyinstaller/bundle_rules.py), on TOC
entries shaped like PyInstaller's, without building anything."""

from __future__ import annotations

from types import ModuleType

import pytest

QT = "PySide6/Qt"


@pytest.mark.parametrize(
    "dest",
    [
        f"{QT}/plugins/platforms/libqxcb.so",
        f"{QT}/plugins/platforms/libqwayland.so",
        f"{QT}/plugins/platforms/libqoffscreen.so",
        f"{QT}/plugins/iconengines/libqsvgicon.so",
        f"{QT}/plugins/imageformats/libqsvg.so",
        f"{QT}/plugins/platformthemes/libqxdgdesktopportal.so",
        f"{QT}/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        f"{QT}/plugins/tls/libqopensslbackend.so",
        f"{QT}/plugins/wayland-shell-integration/libxdg-shell.so",
        f"{QT}/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        f"{QT}/lib/libQt6Core.so.6",
        f"{QT}/lib/libQt6Svg.so.6",
        f"{QT}/lib/libQt6XcbQpa.so.6",
        f"{QT}/lib/libicudata.so.73",  # libQt6Core links ICU: it cannot go
        "PySide6/plugins/platforms/qwindows.dll",  # Windows wheels have no Qt/ level
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore",
        "PySide6/Qt6Widgets.dll",
        "PySide6/QtWidgets.abi3.so",
        "libpython3.11.so.1.0",
        "cryptography/hazmat/bindings/_rust.abi3.so",
    ],
)
def test_what_the_app_uses_stays(bundle_rules: ModuleType, dest: str) -> None:
    assert bundle_rules.keep_binary(dest)


@pytest.mark.parametrize(
    "dest",
    [
        f"{QT}/plugins/platformthemes/libqgtk3.so",  # would drag in GTK 3
        f"{QT}/plugins/imageformats/libqpdf.so",  # Qt Pdf
        f"{QT}/plugins/imageformats/libqjpeg.so",
        f"{QT}/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",  # Qt Quick
        f"{QT}/plugins/platforms/libqeglfs.so",
        f"{QT}/plugins/platforms/libqvnc.so",
        f"{QT}/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        f"{QT}/plugins/generic/libqevdevmouseplugin.so",
        f"{QT}/plugins/networkinformation/libqnetworkmanager.so",
        f"{QT}/plugins/sqldrivers/libqsqlite.so",
        f"{QT}/plugins/qmltooling/libqmldbg_server.so",
        f"{QT}/lib/libQt6Quick.so.6",
        f"{QT}/lib/libQt6Qml.so.6",
        f"{QT}/lib/libQt6Pdf.so.6",
        f"{QT}/lib/libQt6WebEngineCore.so.6",
        f"{QT}/lib/libQt6EglFSDeviceIntegration.so.6",
        "PySide6/Qt6Quick.dll",
        "PySide6/Qt/lib/QtQml.framework/Versions/A/QtQml",
        "PySide6/plugins/imageformats/qjpeg.dll",
    ],
)
def test_what_the_app_does_not_use_goes(bundle_rules: ModuleType, dest: str) -> None:
    assert not bundle_rules.keep_binary(dest)


def test_qt_translations_go_and_other_data_stays(bundle_rules: ModuleType) -> None:
    assert not bundle_rules.keep_data(f"{QT}/translations/qtbase_de.qm")
    assert not bundle_rules.keep_data("PySide6\\translations\\qt_fr.qm")
    assert bundle_rules.keep_data("hubtokens/gui/assets/tray-healthy.svg")
    assert bundle_rules.keep_data("keyring-25.7.0.dist-info/entry_points.txt")
    assert bundle_rules.keep_data("certifi/cacert.pem")


def test_the_web_engine_and_qml_are_never_collected(bundle_rules: ModuleType) -> None:
    excluded = set(bundle_rules.EXCLUDED_MODULES)
    for module in ("QtWebEngineCore", "QtWebEngineWidgets", "QtQml", "QtQuick", "QtPdf"):
        assert f"PySide6.{module}" in excluded
    for used in ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg"):
        assert f"PySide6.{used}" not in excluded


@pytest.mark.parametrize(
    ("src", "typecode", "system"),
    [
        ("/lib/x86_64-linux-gnu/libglib-2.0.so.0", "BINARY", True),
        ("/usr/lib/x86_64-linux-gnu/libfontconfig.so.1", "BINARY", True),
        ("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "BINARY", False),  # Debian's Python
        ("/usr/local/lib/libfoo.so.1", "BINARY", False),  # not from a Debian package
        ("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", "BINARY", False),
        ("/work/venv/lib/python3.11/site-packages/PySide6/Qt/lib/libQt6Core.so.6", "BINARY", False),
        (
            "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
            "EXTENSION",
            False,
        ),
    ],
)
def test_system_libraries_are_the_distributions_own(
    bundle_rules: ModuleType, src: str, typecode: str, system: bool
) -> None:
    assert bundle_rules.is_system_library(src, typecode) is system


def test_trimming_drops_links_whose_target_went(bundle_rules: ModuleType) -> None:
    binaries = [
        (f"{QT}/lib/libQt6Core.so.6", "/venv/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
        (f"{QT}/lib/libQt6Quick.so.6", "/venv/PySide6/Qt/lib/libQt6Quick.so.6", "BINARY"),
        ("libglib-2.0.so.0", "/lib/x86_64-linux-gnu/libglib-2.0.so.0", "BINARY"),
    ]
    datas = [
        ("libQt6Core.so.6", f"{QT}/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Quick.so.6", f"{QT}/lib/libQt6Quick.so.6", "SYMLINK"),
        (f"{QT}/translations/qtbase_de.qm", "/venv/qtbase_de.qm", "DATA"),
        ("hubtokens/gui/assets/hubtokens.svg", "/src/hubtokens.svg", "DATA"),
    ]
    kept_binaries, kept_datas = bundle_rules.trimmed(binaries, datas, drop_system_libraries=True)
    assert [dest for dest, _, _ in kept_binaries] == [f"{QT}/lib/libQt6Core.so.6"]
    assert [dest for dest, _, _ in kept_datas] == [
        "libQt6Core.so.6",
        "hubtokens/gui/assets/hubtokens.svg",
    ]
    kept_binaries, _ = bundle_rules.trimmed(binaries, datas, drop_system_libraries=False)
    assert "libglib-2.0.so.0" in [dest for dest, _, _ in kept_binaries]


def test_a_kept_plugin_needing_a_dropped_qt_library_is_caught(bundle_rules: ModuleType) -> None:
    missing = bundle_rules.missing_qt_libraries(
        {
            f"{QT}/plugins/platforms/libqxcb.so": [
                "libQt6XcbQpa.so.6",
                "libQt6Gui.so.6",
                "libc.so.6",
            ],
            f"{QT}/plugins/imageformats/libqsvg.so": ["libQt6Svg.so.6", "libQt6Quick.so.6"],
        }
    )
    assert missing == {f"{QT}/plugins/imageformats/libqsvg.so": {"Qt6Quick"}}


def test_the_helper_goes_without_inspects_runtime_hook(bundle_rules: ModuleType) -> None:
    scripts = [
        ("pyiboot01_bootstrap", "/x/pyiboot01_bootstrap.py", "PYSOURCE"),
        ("pyi_rth_inspect", "/x/pyi_rth_inspect.py", "PYSOURCE"),
        ("credhelper_main", "/x/credhelper_main.py", "PYSOURCE"),
    ]
    kept = bundle_rules.without_runtime_hooks(scripts, bundle_rules.HELPER_DROPPED_RUNTIME_HOOKS)
    assert [name for name, _, _ in kept] == ["pyiboot01_bootstrap", "credhelper_main"]


def test_system_libraries_only_a_dropped_plugin_linked_go(bundle_rules: ModuleType) -> None:
    binaries = [
        (f"{QT}/lib/libQt6Gui.so.6", "/venv/libQt6Gui.so.6", "BINARY"),
        ("PySide6/QtGui.abi3.so", "/venv/QtGui.abi3.so", "EXTENSION"),
        ("libfontconfig.so.1", "/lib/x86_64-linux-gnu/libfontconfig.so.1", "BINARY"),
        ("libexpat.so.1", "/lib/x86_64-linux-gnu/libexpat.so.1", "BINARY"),
        ("libgtk-3.so.0", "/lib/x86_64-linux-gnu/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/lib/x86_64-linux-gnu/libcairo.so.2", "BINARY"),
    ]
    needed = {
        "PySide6/QtGui.abi3.so": ["libQt6Gui.so.6"],
        f"{QT}/lib/libQt6Gui.so.6": ["libfontconfig.so.1", "libc.so.6"],
        "libfontconfig.so.1": ["libexpat.so.1"],
        "libgtk-3.so.0": ["libcairo.so.2"],  # only the gtk3 theme plugin linked GTK
    }
    assert bundle_rules.unreachable_system_libraries(binaries, needed) == {
        "libgtk-3.so.0",
        "libcairo.so.2",
    }
