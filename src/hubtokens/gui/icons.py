"""The app icon and the tray icons, one SVG per tray state (gui/assets/)."""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtGui import QIcon

from hubtokens.gui.state import Health

_ASSETS = files("hubtokens.gui") / "assets"


def app_icon() -> QIcon:
    return QIcon(str(_ASSETS / "hubtokens.svg"))


def tray_icon(health: Health) -> QIcon:
    """Tile and key in the brand blue (grey when signed out), with a badge for attention
    (amber "!") or error (red "×"): legible at 16 px on light and dark panels."""
    return QIcon(str(_ASSETS / f"tray-{health.value}.svg"))
