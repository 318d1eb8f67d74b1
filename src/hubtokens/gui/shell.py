"""The running app: the session, the tray, the window and the dialogs, wired together.

Everything it works with is passed in (built by ``gui/app.py``, or by the tests). It decides
where things show up: the tray when there is one, else the window, which then stays the way
to every action and quits the app when closed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QDialog

from hubtokens.core import dockerconfig as dc
from hubtokens.core.hub.models import AccessToken
from hubtokens.core.keeper import Keeper, SignInResult
from hubtokens.core.keeper.reports import AUTO_TOKEN_LIMIT
from hubtokens.core.secret import Secret
from hubtokens.gui.actions import AppActions
from hubtokens.gui.autostart import Autostart
from hubtokens.gui.browser import UrlOpener, open_in_browser
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.docker import DockerController, DockerSetup
from hubtokens.gui.controllers.session import SessionController, SyncTimings
from hubtokens.gui.messages import describe_error
from hubtokens.gui.notifications import Notification
from hubtokens.gui.state import AppState, Health, TrayState, as_sentence, hub_name, tray_state
from hubtokens.gui.tasks import TaskHandle, TaskRunner
from hubtokens.gui.tray import TrayController
from hubtokens.gui.views.home_window import HomeWindow
from hubtokens.gui.views.open_dialogs import OpenDialogs, bring_forward
from hubtokens.gui.views.sign_in_dialog import SignInDialog
from hubtokens.gui.views.token_prompts import MessageBoxPrompts, TokenPrompts

if TYPE_CHECKING:
    from hubtokens.core.hub.client import HubClient  # requests: imported on a worker, later
    from hubtokens.gui.views.leak_check_dialog import LeakCheckDialog


class TokenWindowLike(Protocol):
    """What the app needs of the access-token manager window."""

    @property
    def sign_in_requested(self) -> SignalInstance: ...  # its "sign in again" banner
    @property
    def own_token_changed(self) -> SignalInstance: ...  # this device's auto token changed
    def show_and_refresh(self) -> None: ...
    @property
    def leak_check_requested(self) -> SignalInstance: ...  # its "Check for leaked tokens…"
    def open_new_token_dialog(self) -> object: ...
    def open_replace_dialog_for(self, token: AccessToken) -> object: ...
    def reload(self) -> None: ...  # list the tokens again if shown (changed elsewhere)
    def close(self) -> bool: ...


TokenWindowFactory = Callable[[str], TokenWindowLike]  # hub URL -> window


@dataclass(frozen=True, slots=True)
class AppTimings:
    sync: SyncTimings = field(default_factory=SyncTimings)
    # Started without a tray: keep looking this long (autostart can beat the panel to it).
    tray_wait_ms: int = 30_000
    tray_poll_ms: int = 1_000
    clock_tick_ms: int = 60_000  # keeps "2 min ago" current


class HubTokensApp(QObject):
    quit_requested = Signal()
    notification_shown = Signal(object)  # Notification, wherever it was shown

    def __init__(
        self,
        *,
        runner: TaskRunner,
        keeper: Keeper,
        client_for: Callable[[str], HubClient],
        clock: Callable[[], datetime],
        hub_url: str,
        clipboard: ClipboardGuard,
        autostart: Autostart,
        tray_available: Callable[[], bool],
        token_window_factory: TokenWindowFactory,
        docker: DockerSetup,
        timings: AppTimings | None = None,
        open_url: UrlOpener = open_in_browser,
        prompts: TokenPrompts | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._open_url = open_url
        self._prompts: TokenPrompts = prompts or MessageBoxPrompts()
        self._clipboard = clipboard
        self._autostart = autostart
        self._tray_available = tray_available
        self._token_window_factory = token_window_factory
        self._timings = timings or AppTimings()
        self._start_at_login = False
        self._tray_shown = False
        self._told_about_tray = False
        self._token_window: TokenWindowLike | None = None
        self._token_window_hub: str | None = None
        self._sign_in_dialog: SignInDialog | None = None
        self._runner = runner
        self._keeper = keeper
        self._client_for = client_for
        self._docker_environ = docker.environ
        self._dialogs = OpenDialogs(self)

        self.session = SessionController(
            runner, keeper, client_for, hub_url=hub_url, clock=clock, timings=self._timings.sync
        )
        self.docker = DockerController(runner, docker, self)
        self.actions = AppActions(self)
        self.tray = TrayController(self.actions, self.tray_state, self)
        self.window = HomeWindow(self.actions, self.tray_state)

        self._tray_poll = QTimer(self)
        self._tray_poll.setInterval(self._timings.tray_poll_ms)
        self._tray_poll.timeout.connect(self._on_tray_poll_timeout)
        self._tray_wait = QTimer(self)
        self._tray_wait.setSingleShot(True)
        self._tray_wait.timeout.connect(self._on_tray_wait_timeout)
        self._clock_tick = QTimer(self)
        self._clock_tick.setInterval(self._timings.clock_tick_ms)
        self._clock_tick.timeout.connect(self._refresh)
        self._clock_tick.timeout.connect(self.docker.refresh)  # a docker logout meanwhile
        self._connect()

    def _connect(self) -> None:
        a = self.actions
        a.open_window.triggered.connect(self.window.bring_forward)
        a.copy_login.triggered.connect(self._on_copy_login_triggered)
        a.copy_token.triggered.connect(self._on_copy_token_triggered)
        a.use_docker.triggered.connect(self._on_use_docker_triggered)
        a.remove_docker_credential.triggered.connect(self._on_remove_docker_credential_triggered)
        a.sign_docker_in.triggered.connect(self.docker.sign_docker_in)
        a.manage.triggered.connect(self._on_manage_triggered)
        a.new_token.triggered.connect(self._on_new_token_triggered)
        a.check_leaks.triggered.connect(self.open_leak_check)
        a.sync.triggered.connect(self.session.sync_now)  # a person asked: no budget wait
        a.recreate.triggered.connect(self._on_recreate_triggered)
        a.sign_in.triggered.connect(self.open_sign_in)
        a.sign_out.triggered.connect(self._on_sign_out_triggered)
        a.start_at_login.triggered.connect(self._on_start_at_login_triggered)
        a.quit.triggered.connect(self.quit_requested)
        self.session.state_changed.connect(self._on_session_state_changed)
        self.session.notified.connect(self.notify)
        self.docker.status_changed.connect(self._refresh)
        self.docker.notified.connect(self.notify)
        self.tray.menu_opened.connect(self.session.sync_debounced)
        self.tray.menu_opened.connect(self.docker.refresh)
        self.tray.menu_closed.connect(self.session.acknowledge_recreation)
        self.tray.window_requested.connect(self._on_tray_window_requested)
        self.window.closed.connect(self._on_window_closed)

    # --- life cycle ---------------------------------------------------------------------

    @property
    def tray_shown(self) -> bool:
        return self._tray_shown

    def start(self, *, background: bool = False) -> None:
        """Show the tray icon (or else the window) and pick up the signed-in account."""
        self._start_at_login = self._read_autostart()
        self.session.start()
        self.docker.start(self.session.state)
        self._clock_tick.start()
        if self._tray_available():
            self._use_tray()
        elif self._timings.tray_wait_ms > 0:
            self._tray_poll.start()
            self._tray_wait.start(self._timings.tray_wait_ms)
        if not background or not (self._tray_shown or self._tray_wait.isActive()):
            self.window.bring_forward()
        self._refresh()

    def shutdown(self) -> None:
        """Before the process exits: stop answering the helper, take a copied secret back,
        remove the icon."""
        if self._sign_in_dialog is not None:
            self._sign_in_dialog.close()  # wakes a browser sign-in that waits
        self.session.stop()
        self.docker.stop()
        self._clipboard.clear_now()
        self.tray.dispose()
        if self._token_window is not None:
            self._token_window.close()
        for dialog in self._dialogs.showing(QDialog):
            dialog.close()  # a leak check running is cancelled
        self.window.hide()  # not close(): without a tray that would ask to quit again

    def tray_state(self) -> TrayState:
        return tray_state(
            self.session.state,
            self._clock(),
            start_at_login=self._start_at_login,
            docker=self.docker.status,
        )

    def sign_in_approved_by(self, hub_url: str, approve: Callable[[str], None]) -> TaskHandle:
        """Sign in through the browser's flow without the dialog, ``approve(user_code)`` giving
        the approval (``--demo``); a failure is shown as a notification."""
        handle = self.session.sign_in_approved_by(hub_url, approve)
        handle.failed.connect(self._on_background_sign_in_failed)
        return handle

    def notify(self, notification: Notification) -> None:
        if self._tray_shown:
            self.tray.show_message(notification)
        self.window.show_notification(notification)
        self.notification_shown.emit(notification)

    # --- tray or window -----------------------------------------------------------------

    def _use_tray(self) -> None:
        self._tray_poll.stop()
        self._tray_wait.stop()
        self._tray_shown = True
        self.tray.show()

    def _on_tray_poll_timeout(self) -> None:
        if self._tray_available():
            self._use_tray()

    def _on_tray_wait_timeout(self) -> None:
        self._tray_poll.stop()
        if not self._tray_shown:
            self.window.bring_forward()  # never invisible

    def _on_tray_window_requested(self) -> None:
        if self.window.isVisible() and self.window.isActiveWindow():
            self.window.hide()
        else:
            self.window.bring_forward()

    def _on_window_closed(self) -> None:
        if not self._tray_shown:
            self.quit_requested.emit()  # without a tray the window is the app
        elif not self._told_about_tray:
            self._told_about_tray = True
            self.tray.show_message(
                Notification(
                    "Hub Tokens is still running",
                    "It keeps docker's token up to date. Open it or quit from the tray icon.",
                )
            )

    def _refresh(self) -> None:
        self.tray.refresh()
        self.window.refresh()

    def _on_session_state_changed(self, state: AppState) -> None:
        self.docker.follow(state)
        if self._token_window is not None and (
            not state.signed_in or state.hub_url != self._token_window_hub
        ):
            self._token_window.close()
            self._token_window = None
        self._refresh()

    # --- actions ------------------------------------------------------------------------

    def open_sign_in(self) -> SignInDialog:
        if self._sign_in_dialog is None:
            parent = self.window if self.window.isVisible() else None
            dialog = SignInDialog(
                self.session,
                hub_url=self.session.state.hub_url,
                open_url=self._open_url,
                clock=self._clock,
                parent=parent,
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self._on_sign_in_dialog_finished)
            dialog.signed_in.connect(self._on_signed_in_through_browser)
            if self.session.state.account is not None:  # signing in again
                dialog.fill(self.session.state.account)
            self._sign_in_dialog = dialog
        self._sign_in_dialog.show()
        self._sign_in_dialog.raise_()
        self._sign_in_dialog.activateWindow()
        return self._sign_in_dialog

    def _on_sign_in_dialog_finished(self) -> None:
        self._sign_in_dialog = None

    def _on_signed_in_through_browser(self, result: SignInResult) -> None:
        """The dialog closed at once: say here what the sign-in did."""
        done = as_sentence(result.report.message) + ". " if result.report is not None else ""
        self.notify(
            Notification(
                f"Signed in as {result.account}",
                f"{done}docker can use this device's token from now on; the sign-in renews itself.",
            )
        )

    def _on_use_docker_triggered(self, use: bool) -> None:
        plain = self.docker.status.plain_credentials
        if not use or not plain:
            self.docker.set_used(use)
            return
        choice = self._prompts.choose(
            self.window,
            "docker keeps a Docker Hub credential in plain text",
            f"{self.docker.config_file} holds the password or token that docker login stored "
            "for Docker Hub, only base64-encoded, where anyone who can read the file can use "
            "it. Once docker uses this token it no longer reads that entry. Remove it from the "
            f"file too? {self._docker_backup_words()}",
            ("Use this token and remove it", "Use this token, keep it"),
        )
        if choice is None:
            self._refresh()  # the action's check mark goes back
        else:
            self.docker.set_used(True, remove_plain=choice == 0)

    def _on_remove_docker_credential_triggered(self) -> None:
        confirmed = self._prompts.confirm(
            self.window,
            "Remove docker's stored credential?",
            f"{self.docker.config_file} still holds the password or token that docker login "
            "stored for Docker Hub, only base64-encoded. docker uses this token for Docker Hub "
            f"and does not read it. {self._docker_backup_words()}",
            "Remove",
        )
        if confirmed:
            self.docker.remove_plain_credential()

    def _docker_backup_words(self) -> str:
        backup = os.path.basename(self.docker.config_file) + dc.BACKUP_SUFFIX
        return f"The previous file is kept beside it as a backup ({backup})."

    def _on_recreate_triggered(self) -> None:
        confirmed = self._prompts.confirm(
            self.window,
            "Recreate this device's auto token?",
            f"Docker Hub keeps at most {AUTO_TOKEN_LIMIT} auto-generated tokens per account, "
            "and sign-ins on other devices hold them all. A new one for this device makes "
            "Docker Hub delete the oldest of them: the device that signed in with it loses "
            "its token until it is recreated there.",
            "Recreate token",
        )
        if confirmed:
            self.session.recreate_displaced()

    def _on_background_sign_in_failed(self, error: BaseException) -> None:
        self.notify(Notification("Could not sign in", describe_error(error), Health.ERROR))

    def _on_sign_out_triggered(self) -> None:
        self.session.sign_out()

    def _on_copy_login_triggered(self) -> None:
        account = self.session.state.account
        if account is None:
            return
        command = f"docker login -u {account}"
        self._clipboard.copy_text(command)
        # The secret never goes into a command line (shell history); docker asks for it.
        self.notify(
            Notification(
                "Command copied",
                f"{command} — when docker asks for the password, paste the token (Copy token).",
            )
        )

    def _on_copy_token_triggered(self) -> None:
        handle = self.session.fetch_credential()
        handle.succeeded.connect(self._on_credential_fetched)
        handle.failed.connect(self._on_credential_failed)

    def _on_credential_fetched(self, result: tuple[str, Secret]) -> None:
        _account, secret = result
        self._clipboard.copy_secret(secret.reveal())
        self.notify(
            Notification(
                "Token copied",
                f"The clipboard is cleared in {self._clipboard.clear_after_seconds} s "
                "unless you copy something else.",
            )
        )

    def _on_credential_failed(self, error: BaseException) -> None:
        self.notify(Notification("Could not copy the token", describe_error(error), Health.ERROR))

    def _on_manage_triggered(self) -> None:
        window = self._current_token_window()
        if window is not None:
            window.show_and_refresh()

    def open_leak_check(self) -> LeakCheckDialog:
        """The leak check: one at a time, brought forward when asked again."""
        # Imported when first asked for: the scanner is not needed to start the tray.
        from hubtokens.gui.controllers.leak_check import LeakCheckController
        from hubtokens.gui.controllers.token_tasks import HubAccess
        from hubtokens.gui.views.leak_check_dialog import LeakCheckDialog

        for dialog in self._dialogs.showing(LeakCheckDialog):
            bring_forward(dialog)
            return dialog
        state = self.session.state
        access = (
            HubAccess(self._keeper, self._client_for, state.hub_url, self._clock)
            if state.signed_in and state.credential == "auto-token"
            else None
        )
        environ = self._docker_environ
        dialog = LeakCheckDialog(
            LeakCheckController(self._runner, access),
            self._prompts,
            hub=hub_name(state.hub_url),
            home=Path(environ.get("HOME") or Path.home()),
            environ=environ,
        )
        dialog.replace_requested.connect(self._on_replace_requested)
        dialog.controller.deactivated.connect(self._on_leaked_tokens_deactivated)
        dialog.controller.own_token_changed.connect(self.session.sync)
        return self._dialogs.open(dialog)

    def _on_replace_requested(self, token: AccessToken) -> None:
        window = self._current_token_window()
        if window is not None:
            window.open_replace_dialog_for(token)

    def _on_leaked_tokens_deactivated(self) -> None:
        if self._token_window is not None:
            self._token_window.reload()

    def _on_new_token_triggered(self) -> None:
        window = self._current_token_window()
        if window is not None:
            window.open_new_token_dialog()

    def _current_token_window(self) -> TokenWindowLike | None:
        state = self.session.state
        if not state.signed_in:
            return None
        if self._token_window is None:
            self._token_window = self._token_window_factory(state.hub_url)
            self._token_window_hub = state.hub_url
            self._token_window.sign_in_requested.connect(self.open_sign_in)
            self._token_window.own_token_changed.connect(self.session.sync)
            self._token_window.leak_check_requested.connect(self.open_leak_check)
        return self._token_window

    @property
    def token_window(self) -> TokenWindowLike | None:
        return self._token_window

    # --- start at login -----------------------------------------------------------------

    def _read_autostart(self) -> bool:
        try:
            enabled = self._autostart.is_enabled()
            if enabled:
                self._autostart.enable()  # repairs a stale command after an update
        except OSError as exc:
            self.notify(_autostart_failed(exc))
            return False
        return enabled

    def _on_start_at_login_triggered(self, checked: bool) -> None:
        try:
            if checked:
                self._autostart.enable()
            else:
                self._autostart.disable()
        except OSError as exc:
            self.notify(_autostart_failed(exc))
        self._start_at_login = self._read_autostart()
        self._refresh()


def _autostart_failed(exc: OSError) -> Notification:
    return Notification(
        "Start at login could not be changed",
        f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc),
        Health.ERROR,
    )
