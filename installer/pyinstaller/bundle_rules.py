"""What the frozen bundle keeps, as plain functions over PyInstaller's TOC entries.

``hubtokens.spec`` applies these rules; tests/installer checks them without building. A TOC
entry is ``(dest_name, src_name, typecode)``: ``dest_name`` is the path inside the bundle's
``_internal`` folder (``PySide6/Qt/plugins/platforms/libqxcb.so``), ``src_name`` where it was
found on the build machine.

What the app uses of Qt: QtCore, QtGui, QtWidgets and QtNetwork (``QLocalServer``, for the
single instance); SVG icons through the ``svg`` image format and icon engine plugins. It has no
translations of its own (English only) and shows no Qt-translated text worth a 7 MB catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

TocEntry = tuple[str, str, str]

# PySide6 modules the app never imports (it uses QtCore, QtGui, QtWidgets and QtNetwork).
UNUSED_QT_MODULES = [
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
]

# Python modules the app never imports, some of which PySide6's or the stdlib's hooks pull in.
EXCLUDED_MODULES = [
    *(f"PySide6.{name}" for name in UNUSED_QT_MODULES),
    "tkinter",
    "_tkinter",
    "unittest",
    "pydoc",
    "pydoc_data",
    "lib2to3",
    "distutils",
    "setuptools",
    "pkg_resources",
    "pip",
    "test",
    "idlelib",
    "ensurepip",
    "venv",
    "turtle",
    "turtledemo",
]

# What docker-credential-hubtokens never needs on Linux: its keychain there is the Secret Service
# over its own small D-Bus client (credhelper/secretservice.py); keyring is its keychain only on
# macOS and Windows. Docker runs the helper on every pull: its archive stays small and its
# start-up runs no Qt or keyring runtime hook.
HELPER_EXCLUDED_MODULES = [
    "PySide6",
    "shiboken6",
    "requests",
    "urllib3",
    "charset_normalizer",
    "idna",
    "certifi",
    "hubtokens.gui",
    "hubtokens.cli",
    "hubtokens.localhub",
    "hubtokens.core.hub",
    "hubtokens.core.keeper",
]
# On macOS and Windows the helper's keychain is keyring, and its folder comes from platformdirs.
HELPER_EXCLUDED_MODULES_LINUX = [
    "keyring",
    "secretstorage",
    "jeepney",
    "cryptography",
    "platformdirs",
]
# PyInstaller runtime hooks the helper goes without. pyi_rth_inspect imports inspect and zipfile
# at every start (~20 ms of docker's every pull) to serve inspect.getsourcefile(), which the
# helper never calls; it uses neither pkgutil's module iteration nor multiprocessing either.
HELPER_DROPPED_RUNTIME_HOOKS = {"pyi_rth_inspect", "pyi_rth_pkgutil", "pyi_rth_multiprocessing"}

# Qt plugins to keep, by folder: the base name without "lib" and the extension. A folder that
# is not listed is dropped whole.
KEPT_QT_PLUGINS: dict[str, set[str]] = {
    # offscreen for --screenshots and CI; X11 and Wayland desktops; Windows and macOS.
    "platforms": {"qoffscreen", "qxcb", "qwayland", "qwindows", "qcocoa", "qdirect2d"},
    # The XDG portal theme follows the desktop's dark/light setting and gives portal file
    # dialogs; qgtk3 would drag in GTK 3 (and its whole stack) for native-looking dialogs.
    "platformthemes": {"qxdgdesktopportal"},
    # Dead keys / Compose and IBus input methods in the sign-in dialog; the virtual keyboard
    # plugin needs Qt Quick.
    "platforminputcontexts": {
        "composeplatforminputcontextplugin",
        "ibusplatforminputcontextplugin",
    },
    "iconengines": {"qsvgicon"},
    "imageformats": {"qsvg"},
    # Unused today (HTTP is requests), cheap, and what a QtNetwork user expects to find.
    "tls": {"qopensslbackend", "qcertonlybackend", "qschannelbackend", "qsecuretransportbackend"},
    # OpenGL contexts on X11 (Qt loads one when a window needs GL; widgets rarely do).
    "xcbglintegrations": {"qxcb-glx-integration", "qxcb-egl-integration"},
    # Wayland: window decorations, the shell protocols, and GL buffers.
    "wayland-decoration-client": {"bradient", "adwaita"},
    "wayland-shell-integration": {"xdg-shell", "wl-shell-plugin", "fullscreen-shell-v1"},
    "wayland-graphics-integration-client": {"qt-plugin-wayland-egl", "shm-emulation-server"},
    # macOS: the native style.
    "styles": {"qmacstyle", "qmodernwindowsstyle", "qwindowsvistastyle"},
}

# PySide6's wheels: Linux and macOS have PySide6/Qt/{lib,plugins,translations}/, Windows has
# PySide6/{plugins,translations}/ and PySide6/Qt6*.dll; macOS libraries are frameworks.
_PLUGIN = re.compile(r"(?:^|/)PySide6/(?:Qt/)?plugins/(?P<folder>[^/]+)/(?P<file>[^/]+)$")
_TRANSLATION = re.compile(r"(?:^|/)PySide6/(?:Qt/)?translations/")
_QT_FRAMEWORK = re.compile(r"(?:^|/)Qt(?P<name>[A-Za-z0-9]+)\.framework(?:/|$)")
_QT_LIBRARY_FILE = re.compile(r"^(?:lib)?Qt6(?P<name>[A-Za-z0-9]+)\.(?:so|dll|dylib)")

# Qt libraries the kept plugins and modules need. Anything else of Qt that a dropped plugin
# dragged in (Qt Quick, Qml, Pdf, OpenGL, virtual keyboard, ...) goes.
KEPT_QT_LIBRARIES = {
    "Qt6Core",
    "Qt6Gui",
    "Qt6Widgets",
    "Qt6Network",
    "Qt6Svg",
    "Qt6DBus",  # Qt's own: platform themes, tray (StatusNotifierItem), portals, IBus
    "Qt6XcbQpa",
    "Qt6WaylandClient",
    "Qt6WlShellIntegration",
    "Qt6OpenGL",  # Wayland EGL integration's dependency
}


def without_runtime_hooks(scripts: Iterable[TocEntry], dropped: set[str]) -> list[TocEntry]:
    """An Analysis's scripts (runtime hooks, then the program) less the named runtime hooks."""
    return [entry for entry in scripts if entry[0] not in dropped]


def qt_library(path: str) -> str | None:
    """``Qt6Core`` for ``.../libQt6Core.so.6``, ``...\\Qt6Core.dll`` or
    ``.../QtCore.framework/Versions/A/QtCore``; None for anything else."""
    path = path.replace("\\", "/")
    framework = _QT_FRAMEWORK.search(path)
    if framework:
        return f"Qt6{framework['name']}"
    library = _QT_LIBRARY_FILE.match(PurePosixPath(path).name)
    return f"Qt6{library['name']}" if library else None


def plugin_base(file_name: str) -> str:
    """``libqxcb.so`` / ``qwindows.dll`` / ``libqcocoa.dylib`` -> ``qxcb`` / ``qwindows`` / ..."""
    stem = file_name.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_binary(dest_name: str) -> bool:
    """Whether a binary TOC entry (a Qt plugin or library, or anything else) stays."""
    path = dest_name.replace("\\", "/")
    plugin = _PLUGIN.search(path)
    if plugin:
        kept = KEPT_QT_PLUGINS.get(plugin["folder"], set())
        return plugin_base(plugin["file"]) in kept
    library = qt_library(path)
    if library and "PySide6/" in path:
        return library in KEPT_QT_LIBRARIES
    return True


def keep_data(dest_name: str) -> bool:
    """Whether a data TOC entry stays: everything but Qt's translation catalogues."""
    return not _TRANSLATION.search(dest_name.replace("\\", "/"))


SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def is_system_library(src_name: str, typecode: str) -> bool:
    """A shared library of the Linux distribution (``/usr/lib/...``), which a .deb takes from
    the system (Depends) instead of freezing the build machine's copy. libpython stays in the
    bundle: the frozen standard library is compiled for exactly that interpreter."""
    if typecode != "BINARY":
        return False
    name = PurePosixPath(src_name).name
    if name.startswith("libpython"):
        return False
    return src_name.startswith(SYSTEM_LIBRARY_DIRS) and not src_name.startswith("/usr/local/")


def trimmed(
    binaries: Iterable[TocEntry], datas: Iterable[TocEntry], *, drop_system_libraries: bool
) -> tuple[list[TocEntry], list[TocEntry]]:
    """An Analysis's binaries and datas with only what stays. A ``SYMLINK`` entry (``dest ->
    target``; PyInstaller lists them among the datas, for Qt's libraries at the top of
    ``_internal``) stays only while its target does."""

    def keep(entry: TocEntry) -> bool:
        dest_name, src_name, typecode = entry
        if typecode in ("BINARY", "EXTENSION"):
            return keep_binary(dest_name) and not (
                drop_system_libraries and is_system_library(src_name, typecode)
            )
        if typecode == "DATA":
            return keep_data(dest_name)
        return True

    kept_binaries = [entry for entry in binaries if keep(entry)]
    kept_datas = [entry for entry in datas if keep(entry)]
    present = {
        PurePosixPath(dest.replace("\\", "/"))
        for dest, _, code in (*kept_binaries, *kept_datas)
        if code != "SYMLINK"
    }

    def target_present(entry: TocEntry) -> bool:
        return entry[2] != "SYMLINK" or _link_target(entry[0], entry[1]) in present

    return (
        [entry for entry in kept_binaries if target_present(entry)],
        [entry for entry in kept_datas if target_present(entry)],
    )


def _link_target(dest_name: str, target: str) -> PurePosixPath:
    """Where a SYMLINK entry points, relative to ``_internal`` (targets are relative)."""
    parts: list[str] = []
    for part in (
        PurePosixPath(dest_name.replace("\\", "/")).parent / target.replace("\\", "/")
    ).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def missing_qt_libraries(needed_by: dict[str, Iterable[str]]) -> dict[str, set[str]]:
    """For each kept binary (dest name -> the libraries it links), the Qt libraries it needs
    that the rules drop: must be empty, else a kept plugin would fail to load."""
    missing: dict[str, set[str]] = {}
    for dest_name, needed in needed_by.items():
        for library in needed:
            name = qt_library(library)
            if name and name not in KEPT_QT_LIBRARIES:
                missing.setdefault(dest_name, set()).add(name)
    return missing


def unreachable_system_libraries(
    binaries: Iterable[TocEntry], needed_by: dict[str, Iterable[str]]
) -> set[str]:
    """System libraries (by dest name) that nothing kept links any more: PyInstaller collected
    them for a plugin the rules dropped (GTK 3 and its stack for the gtk3 platform theme).

    The roots are everything that is not a system library (extension modules, Qt's libraries
    and plugins, libpython); ``needed_by`` maps a dest name to the library names it links."""
    entries = [entry for entry in binaries if entry[2] in ("BINARY", "EXTENSION")]
    by_name = {PurePosixPath(dest.replace("\\", "/")).name: dest for dest, _, _ in entries}
    system = {dest for dest, src, code in entries if is_system_library(src, code)}
    reached = {dest for dest, _, _ in entries if dest not in system}
    todo = list(reached)
    while todo:
        for library in needed_by.get(todo.pop(), ()):
            dest = by_name.get(PurePosixPath(library.replace("\\", "/")).name)
            if dest is not None and dest not in reached:
                reached.add(dest)
                todo.append(dest)
    return system - reached
