"""Opening a page in the system browser; injectable, so that tests open none and record it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

UrlOpener = Callable[[str], bool]  # the URL -> whether a browser was asked to open it


def open_in_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))
