"""``--screenshots DIR``: pictures of every part of the app, made by the app itself.

Only with ``--demo`` (the app refuses it otherwise): the tour creates a token and plants it in a
file, which is harmless only on the demo's throwaway hub. It waits for the demo's sign-in and
first sync, then saves the tray menu, the window (and the window of a displaced auto token), the
sign-in dialog (the browser sign-in: its start, the one-time code while it waits, denied and
expired; the password form and its two-factor step), the access-token window with its data, the
new-token dialog and the show-once dialog of a token it really creates, the leak check with its
results (that token and made-up ones planted in a temporary folder at run time, identified on
the demo hub), plus a sheet of the tray icons on light and dark panels, and exits 0 (1 if
something did not come up in time).

The one-time code is a real one from the demo hub, and no browser is opened.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from hubtokens.core.errors import SignInDenied, SignInExpired
from hubtokens.core.hub.models import TwoFactorChallenge
from hubtokens.core.keeper.policy import Action, Verdict
from hubtokens.core.secret import Secret
from hubtokens.gui.actions import AppActions
from hubtokens.gui.icons import tray_icon
from hubtokens.gui.shell import HubTokensApp
from hubtokens.gui.state import Health, TrayState, tray_state
from hubtokens.gui.views.home_window import HomeWindow
from hubtokens.gui.views.leak_check_dialog import LeakCheckDialog
from hubtokens.gui.views.new_token_dialog import NewTokenDialog
from hubtokens.gui.views.sign_in_dialog import SignInDialog, Step
from hubtokens.gui.views.token_window import TokenWindow

logger = logging.getLogger(__name__)

POLL_MS = 50
SETTLE_MS = 250  # lets a window lay itself out and paint before it is grabbed
TIMEOUT_MS = 60_000
ICON_SIZES = (16, 22, 32, 64)
PANELS = ("#f2f2f2", "#2b2b2b", "#3465a4")  # light, dark, coloured
NEW_TOKEN_DESCRIPTION = "CI: nightly image build"


class ScreenshotTour(QObject):
    finished = Signal(int)  # exit code

    def __init__(self, app: HubTokensApp, directory: Path, *, expect_sign_in: bool) -> None:
        super().__init__(app)
        self._app = app
        self._directory = directory
        self._expect_sign_in = expect_sign_in
        self._waited_ms = 0
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._waiting_for: Callable[[], bool] = lambda: True
        self._then: Callable[[], None] = lambda: None
        self._what = ""
        self._poll.timeout.connect(self._on_poll_timeout)
        self.saved: list[Path] = []
        self._leak_folder: tempfile.TemporaryDirectory[str] | None = None  # planted tokens

    def start(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        self._wait("the start", self._settled, self._shoot_app)

    # --- the steps ----------------------------------------------------------------------

    def _settled(self) -> bool:
        state = self._app.session.state
        if state.syncing:
            return False
        return state.check is not None if self._expect_sign_in else True

    def _shoot_app(self) -> None:
        self._save_icon_sheet()
        tray = self._app.tray
        tray.refresh()
        tray.menu.adjustSize()
        self._save(tray.menu, "tray-menu")
        self._app.window.bring_forward()
        self._after_settling(self._shoot_window)

    def _shoot_window(self) -> None:
        self._save(self._app.window, "window")
        displaced = self._displaced_state()
        if displaced is not None:
            # The window as a displaced auto token shows it (five sign-ins elsewhere would
            # make it real): the same window, fed that state.
            window = HomeWindow(AppActions(self), lambda: displaced)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.show()
            self._after_settling(lambda: self._shoot_displaced(window))
        else:
            self._open_sign_in()

    def _displaced_state(self) -> TrayState | None:
        state = self._app.session.state
        check = state.check
        if check is None or check.credential != "auto-token":
            return None
        report = replace(check.report, action=Action(Verdict.REPORT_DISPLACED))
        return tray_state(
            replace(state, check=replace(check, report=report, auto_token=None)),
            check.checked_at,
            docker=self._app.docker.status,
        )

    def _shoot_displaced(self, window: HomeWindow) -> None:
        self._save(window, "window-displaced")
        window.close()
        self._open_sign_in()

    def _open_sign_in(self) -> None:
        hub_url = self._app.session.state.hub_url
        dialog = SignInDialog(self._app.session, hub_url=hub_url, open_url=lambda _url: True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fill(self._app.session.state.account or "demo")
        dialog.show()
        self._after_settling(lambda: self._shoot_sign_in(dialog))

    def _shoot_sign_in(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in")
        dialog.continue_in_browser()  # a real code from the demo hub
        self._wait(
            "the one-time code",
            lambda: dialog.step is Step.BROWSER_CODE,
            lambda: self._after_settling(lambda: self._shoot_browser_code(dialog)),
        )

    def _shoot_browser_code(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in-browser-code")
        self._shoot_problems(dialog)

    def _shoot_problems(self, dialog: SignInDialog) -> None:
        dialog.show_problem(SignInDenied())  # also stops the waiting
        self._after_settling(lambda: self._shoot_denied(dialog))

    def _shoot_denied(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in-denied")
        dialog.show_problem(SignInExpired())
        self._after_settling(lambda: self._shoot_expired(dialog))

    def _shoot_expired(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in-expired")
        dialog.use_password()
        self._after_settling(lambda: self._shoot_password(dialog))

    def _shoot_password(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in-password")
        # The code step as the hub's challenge would open it (the demo account has no 2FA).
        dialog.ask_for_two_factor_code(
            TwoFactorChallenge(dialog.username or "demo", Secret("screenshot"))
        )
        self._after_settling(lambda: self._shoot_code_step(dialog))

    def _shoot_code_step(self, dialog: SignInDialog) -> None:
        self._save(dialog, "sign-in-code")
        dialog.close()
        if not self._app.session.state.signed_in:
            self._done(0)
            return
        self._app.actions.manage.trigger()
        window = self._token_window()
        self._wait(
            "the access tokens",
            lambda: window.controller.last_refresh is not None and not window.controller.refreshing,
            lambda: self._after_settling(self._shoot_tokens),
        )

    def _shoot_tokens(self) -> None:
        window = self._token_window()
        self._save(window, "tokens")
        dialog = window.open_new_token_dialog()
        dialog.description.edit.setText(NEW_TOKEN_DESCRIPTION)
        self._after_settling(lambda: self._shoot_new_token(dialog))

    def _shoot_new_token(self, dialog: NewTokenDialog) -> None:
        self._save(dialog, "new-token")
        window = self._token_window()
        dialog.accept_button.click()  # really creates it on the demo hub
        self._wait(
            "the new token",
            lambda: window.reveal_dialog is not None,
            lambda: self._after_settling(self._shoot_reveal),
        )

    def _shoot_reveal(self) -> None:
        reveal = self._token_window().reveal_dialog
        assert reveal is not None
        self._save(reveal, "reveal")
        # The token just made is planted beside made-up ones: on the demo's throwaway hub,
        # identifying it is harmless.
        self._open_leak_check(reveal.secret_field.text())

    def _open_leak_check(self, live_secret: str) -> None:
        self._leak_folder = tempfile.TemporaryDirectory(prefix="hubtokens-screenshots-")
        folder = Path(self._leak_folder.name) / "project"
        (folder / "ci").mkdir(parents=True)
        made_up = "dckr_" + "pat_" + secrets.token_urlsafe(24)[:28]
        (folder / "deploy.env").write_text(f"REGISTRY_USER=demo\nREGISTRY_TOKEN={live_secret}\n")
        (folder / "ci" / "build.yml").write_text(
            f"steps:\n  - run: echo {made_up} | docker login -u demo --password-stdin\n"
        )
        dialog = self._app.open_leak_check()
        dialog.add_folder(folder)
        dialog.start_check()
        identify = dialog.controller.can_identify
        self._wait(
            "the leak check",
            lambda: not dialog.controller.busy,
            lambda: self._identify_leaks(dialog) if identify else self._shoot_leaks(dialog),
        )

    def _identify_leaks(self, dialog: LeakCheckDialog) -> None:
        dialog.controller.identify()  # asked without the question: the tour is the person
        self._wait(
            "the identification",
            lambda: not dialog.controller.busy,
            lambda: self._shoot_leaks(dialog),
        )

    def _shoot_leaks(self, dialog: LeakCheckDialog) -> None:
        c = dialog.controller
        yours = [n for n, f in enumerate(c.findings) if c.deactivatable([f.fingerprint])]
        dialog.table.selectRow(yours[0] if yours else 0)  # Deactivate and Replace… enabled
        self._after_settling(lambda: self._save_leaks(dialog))

    def _save_leaks(self, dialog: LeakCheckDialog) -> None:
        self._save(dialog, "leak-check")
        dialog.close()
        self._done(0)

    # --- helpers ------------------------------------------------------------------------

    def _token_window(self) -> TokenWindow:
        window = self._app.token_window
        assert isinstance(window, TokenWindow)
        return window

    def _save(self, widget: QWidget, name: str) -> None:
        path = self._directory / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise OSError(f"cannot write {path}")
        self.saved.append(path)

    def _save_icon_sheet(self) -> None:
        cell = 72
        states = list(Health)
        sheet = QImage(
            cell * len(ICON_SIZES) * len(PANELS), cell * len(states), QImage.Format.Format_ARGB32
        )
        painter = QPainter(sheet)
        for row, health in enumerate(states):
            icon = tray_icon(health)
            for panel_index, panel in enumerate(PANELS):
                for size_index, size in enumerate(ICON_SIZES):
                    x = (panel_index * len(ICON_SIZES) + size_index) * cell
                    painter.fillRect(QRect(x, row * cell, cell, cell), QColor(panel))
                    offset = (cell - size) // 2
                    painter.drawPixmap(x + offset, row * cell + offset, icon.pixmap(size, size))
        painter.end()
        path = self._directory / "tray-icons.png"
        sheet.save(str(path))
        self.saved.append(path)

    def _after_settling(self, then: Callable[[], None]) -> None:
        QTimer.singleShot(SETTLE_MS, self, then)

    def _wait(self, what: str, condition: Callable[[], bool], then: Callable[[], None]) -> None:
        self._what, self._waiting_for, self._then = what, condition, then
        self._waited_ms = 0
        self._poll.start()

    def _on_poll_timeout(self) -> None:
        self._waited_ms += POLL_MS
        if self._waiting_for():
            self._poll.stop()
            self._then()
        elif self._waited_ms >= TIMEOUT_MS:
            self._poll.stop()
            logger.error("screenshots: %s did not come up in time", self._what)
            self._done(1)

    def _done(self, code: int) -> None:
        if self._leak_folder is not None:
            self._leak_folder.cleanup()
            self._leak_folder = None
        logger.info("screenshots saved: %s", ", ".join(p.name for p in self.saved))
        self.finished.emit(code)
