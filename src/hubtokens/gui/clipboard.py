"""Copy secrets to the clipboard and take them back after a while.

``ClipboardGuard.copy_secret`` puts a token on the clipboard, marks it as a password for
clipboard managers that honour the hint (KDE Klipper, and others that read the same type),
and clears it after ``clear_after_ms`` unless the clipboard has changed meanwhile: then the
person copied something else, and that is theirs to keep. Only a digest of the secret is kept
to recognise it, never the secret itself.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard

CLEAR_AFTER_MS = 30_000
# Clipboard managers that see this type with the value "secret" do not keep a history entry.
PASSWORD_HINT_TYPE = "x-kde-passwordManagerHint"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class ClipboardGuard(QObject):
    """Copies text; secrets are cleared after a delay unless the clipboard changed."""

    copied = Signal(bool)  # True for a secret, which will be cleared
    expired = Signal(bool)  # the delay passed: True if the secret was cleared, False if kept

    def __init__(
        self,
        clipboard: QClipboard,
        *,
        clear_after_ms: int = CLEAR_AFTER_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._pending: bytes | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        # Coarse timers may fire 5 % early: 1.5 s off "cleared after 30 s" is visible.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(clear_after_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def clear_after_seconds(self) -> int:
        return round(self._timer.interval() / 1000)

    @property
    def holds_secret(self) -> bool:
        """True while a copied secret is waiting to be cleared."""
        return self._pending is not None

    def copy_text(self, text: str) -> None:
        """Copy something that is not secret (a command line); it stays."""
        self._pending = None
        self._timer.stop()
        self._clipboard.setText(text)
        self.copied.emit(False)

    def copy_secret(self, secret: str) -> None:
        data = QMimeData()
        data.setText(secret)
        data.setData(PASSWORD_HINT_TYPE, b"secret")
        self._clipboard.setMimeData(data)
        self._pending = _digest(secret)
        self._timer.start()
        self.copied.emit(True)

    def clear_now(self) -> None:
        """On quit: take the secret back at once if it is still there."""
        self._timer.stop()
        self._clear_if_unchanged()

    def _on_timer_timeout(self) -> None:
        self.expired.emit(self._clear_if_unchanged())

    def _clear_if_unchanged(self) -> bool:
        pending, self._pending = self._pending, None
        if pending is None or _digest(self._clipboard.text()) != pending:
            return False
        self._clipboard.clear()
        return True
