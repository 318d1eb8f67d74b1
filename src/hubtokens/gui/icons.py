"""The app icon and the tray icons, one SVG per tray state (gui/assets/)."""

from __future__ import annotations

import sys
from importlib.resources import files

from PySide6.QtGui import QIcon

from hubtokens.gui.state import Health

_ASSETS = files("hubtokens.gui") / "assets"


def app_icon() -> QIcon:
    return QIcon(str(_ASSETS / "hubtokens.svg"))


def tray_icon(health: Health, *, platform: str = sys.platform) -> QIcon:
    """Tile and key in the brand blue (grey when signed out), with a badge for attention
    (amber "!") or error (red "×"): legible at 16 px on light and dark panels.

    On macOS the menu bar wants a monochrome template, which it tints for light and dark
    mode: the .app carries ``tray-<health>Template.svg`` (resources/icons/macos)."""
    template = _ASSETS / f"tray-{health.value}Template.svg"
    if platform == "darwin" and template.is_file():
        icon = QIcon(str(template))
        icon.setIsMask(True)
        return icon
    return QIcon(str(_ASSETS / f"tray-{health.value}.svg"))
