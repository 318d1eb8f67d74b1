"""``--self-check``: report, as JSON lines on stdout, that the app came up, then exit.

One line when the tray icon is in place (or, without a tray, when the window is shown), with
the time, so a benchmark can measure the start; then, after an idle pause, one line with the
resident memory and the health the app shows then (with whether a sync is still running), so
a test can see how the app judged the token after its start-up check. Used by the Xvfb tray
test, the reliability tests and bench/gui_startup.py.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from hubtokens.gui.shell import HubTokensApp

POLL_MS = 10
# A tray host embeds the icon a moment after show(); past this, report what there is.
EMBED_WAIT_MS = 5_000


class SelfCheck(QObject):
    finished = Signal()

    def __init__(self, app: HubTokensApp, *, idle_seconds: float, out: TextIO = sys.stdout) -> None:
        super().__init__(app)
        self._app = app
        self._idle_ms = int(idle_seconds * 1000)
        self._out = out
        self._waited_ms = 0
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll_timeout)

    def start(self) -> None:
        self._poll.start()

    def _on_poll_timeout(self) -> None:
        self._waited_ms += POLL_MS
        app = self._app
        embedded = not app.tray.geometry.isEmpty()
        tray_ready = app.tray_shown and (embedded or self._waited_ms >= EMBED_WAIT_MS)
        if not (tray_ready or app.window.isVisible()):
            return
        self._poll.stop()
        geometry = app.tray.geometry
        self._print(
            event="shown",
            time=time.time(),
            platform=QGuiApplication.platformName(),
            tray_available=app.tray_shown,
            tray_visible=app.tray.visible,
            tray_geometry=[geometry.x(), geometry.y(), geometry.width(), geometry.height()],
            window_visible=app.window.isVisible(),
            health=app.tray_state().health.value,
        )
        QTimer.singleShot(self._idle_ms, self._on_idle)

    def _on_idle(self) -> None:
        self._print(
            event="idle",
            rss_kib=resident_kib(),
            health=self._app.tray_state().health.value,
            syncing=self._app.session.state.syncing,
        )
        self.finished.emit()

    def _print(self, **fields: object) -> None:
        print(json.dumps(fields), file=self._out, flush=True)


def resident_kib() -> int | None:
    """This process's resident memory (Linux ``VmRSS``), or None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
