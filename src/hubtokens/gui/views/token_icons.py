"""Icons of the token window, drawn on a 24 px grid (gui/assets/action-*.svg). Where the
desktop theme has an icon for the action, that one is used instead."""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtGui import QIcon

_ASSETS = files("hubtokens.gui") / "assets"


def token_icon(name: str, theme: str | None = None) -> QIcon:
    """Our ``action-<name>.svg``, or the theme's icon ``theme`` when the desktop has one."""
    ours = QIcon(str(_ASSETS / f"action-{name}.svg"))
    return ours if theme is None else QIcon.fromTheme(theme, ours)
