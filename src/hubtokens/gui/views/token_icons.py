"""Icons of the token window, drawn on a 24 px grid (gui/assets/actions/). Where the desktop
theme has an icon for the action, that one is used instead."""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtGui import QIcon

_ACTIONS = files("hubtokens.gui") / "assets" / "actions"


def token_icon(name: str, theme: str | None = None) -> QIcon:
    """Our ``name``.svg, or the theme's icon ``theme`` when the desktop has one."""
    ours = QIcon(str(_ACTIONS / f"{name}.svg"))
    return ours if theme is None else QIcon.fromTheme(theme, ours)
