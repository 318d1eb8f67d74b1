"""The app's window: the account's state and every action of the tray, for desktops without a
tray and for people who prefer a window. Without a tray, closing it quits the app.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hubtokens.gui.actions import AppActions, fill_menu
from hubtokens.gui.icons import app_icon, tray_icon
from hubtokens.gui.notifications import Notification
from hubtokens.gui.state import Health, TrayState
from hubtokens.gui.views.style import NOTE_STYLE, WARNING_STYLE, scaled_font

_BANNER_COLOURS = {  # background, border
    Health.SIGNED_OUT: ("#eef3fe", "#b9cdf8"),
    Health.HEALTHY: ("#eef3fe", "#b9cdf8"),
    Health.ATTENTION: ("#fff6e0", "#f1cf7a"),
    Health.ERROR: ("#fdecea", "#f0b2ab"),
}
_SECTION_STYLE = f"{NOTE_STYLE} font-weight: 600;"


class ActionButton(QPushButton):
    """A push button that mirrors a QAction (text, enabled, visible) and triggers it."""

    def __init__(self, action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._action = action
        self.clicked.connect(action.trigger)
        self.setAutoDefault(True)  # Return presses the focused button, as in a dialog
        action.changed.connect(self._sync)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._sync()

    def _sync(self) -> None:
        self.setText(self._action.text())
        self.setCheckable(self._action.isCheckable())
        self.setChecked(self._action.isChecked())
        self.setEnabled(self._action.isEnabled())
        self.setVisible(self._action.isVisible())


class Banner(QFrame):
    """The latest notification, in the window (the tray shows its own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._title = QLabel()
        bold = QFont(self._title.font())
        bold.setBold(True)
        self._title.setFont(bold)
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = QToolButton()
        dismiss.setText("✕")
        dismiss.setAutoRaise(True)
        dismiss.setToolTip("Dismiss")
        dismiss.setAccessibleName("Dismiss")  # "✕" would be read as "multiplication x"
        dismiss.setAccessibleDescription("Hide this notification")
        dismiss.clicked.connect(self.hide)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self._title)
        texts.addWidget(self._text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        layout.addLayout(texts, 1)
        layout.addWidget(dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else f"{self._title.text()}: {self._text.text()}"

    def show_notification(self, notification: Notification) -> None:
        background, border = _BANNER_COLOURS[notification.health]
        self.setStyleSheet(
            f"#banner {{ background: {background}; border: 1px solid {border};"
            " border-radius: 6px; } #banner QLabel { color: #1f2328; }"
        )
        self._title.setText(notification.title)
        self._text.setText(notification.message)
        self.show()


class HomeWindow(QMainWindow):
    closed = Signal()  # the person closed the window; the app decides whether that quits

    def __init__(
        self,
        actions: AppActions,
        current_state: Callable[[], TrayState],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._current_state = current_state
        self.setWindowTitle("Hub Tokens")
        self.setWindowIcon(app_icon())
        self._menu = self.menuBar().addMenu("&Hub Tokens")
        self._menu.aboutToShow.connect(self._on_menu_about_to_show)
        for action in (actions.sync, actions.new_token, actions.manage, actions.copy_token):
            self.addAction(action)  # their shortcuts work while the window has focus

        self._state_icon = QLabel()
        self._state_icon.setFixedSize(QSize(48, 48))
        self._account = QLabel()
        self._account.setFont(scaled_font(self.font(), 1.3, bold=True))
        self._session = QLabel()
        self._session.setWordWrap(True)
        self._session.setStyleSheet(NOTE_STYLE)
        self._token = QLabel()
        self._token.setWordWrap(True)
        self._notice = QLabel()
        self._notice.setWordWrap(True)
        self._notice.setStyleSheet(WARNING_STYLE)
        self._docker = QLabel()
        self._docker.setWordWrap(True)
        self._docker.setStyleSheet(WARNING_STYLE)
        self.banner = Banner()
        self._offering_sign_in = False

        header_texts = QVBoxLayout()
        header_texts.setSpacing(3)
        header_texts.addWidget(self._account)
        header_texts.addWidget(self._session)
        header_texts.addWidget(self._token)
        header_texts.addWidget(self._notice)
        header_texts.addWidget(self._docker)
        header = QHBoxLayout()
        header.setSpacing(14)
        header.addWidget(self._state_icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(header_texts, 1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        sections = (  # title, rows of actions
            ("Access tokens", ((actions.manage, actions.new_token), (actions.check_leaks,))),
            (
                "docker on this device",
                (
                    (actions.copy_login, actions.copy_token),
                    (actions.use_docker, actions.sign_docker_in),
                    (actions.remove_docker_credential,),
                ),
            ),
            ("Account", ((actions.sync, actions.sign_in, actions.sign_out), (actions.recreate,))),
        )
        row = 0
        for title, section_rows in sections:
            label = QLabel(title)
            label.setStyleSheet(_SECTION_STYLE)
            grid.addWidget(label, row, 0, 1, 2)
            row += 1
            for section_actions in section_rows:
                for column, action in enumerate(section_actions):
                    button = ActionButton(action)
                    if action is actions.sign_in:
                        button.setDefault(True)
                        self._sign_in_button = button
                    # sign in and sign out share the second column: one is hidden at a time
                    grid.addWidget(button, row, min(column, 1))
                row += 1

        body = QVBoxLayout()
        body.setContentsMargins(22, 20, 22, 18)
        body.setSpacing(16)
        body.addLayout(header)
        body.addWidget(_separator())
        body.addWidget(self.banner)
        body.addLayout(grid)
        body.addStretch(1)
        central = QWidget()
        central.setLayout(body)
        self.setCentralWidget(central)
        self._status = QLabel()
        self._status.setContentsMargins(8, 0, 8, 0)
        self._status.setStyleSheet(NOTE_STYLE)
        self.statusBar().addWidget(self._status)
        self.statusBar().setSizeGripEnabled(False)
        self.setMinimumWidth(520)
        self.refresh()

    @property
    def menu(self) -> QMenu:
        return self._menu

    def refresh(self) -> None:
        state = self._current_state()
        self._actions.apply(state)
        offering = self._actions.sign_in.isVisible()
        if offering and not self._offering_sign_in:
            # Sign in… is the one thing to do when it shows: it takes the focus, so Return
            # presses it (only when it appears, not taking the focus from a person later).
            self._sign_in_button.setFocus()
        self._offering_sign_in = offering
        self._state_icon.setPixmap(tray_icon(state.health).pixmap(48, 48))
        self._account.setText(state.account_line)
        self._session.setText(state.session_line or "")
        self._session.setVisible(bool(state.session_line))
        self._token.setText(state.token_line)
        self._notice.setText(state.notice_line or "")
        self._notice.setVisible(bool(state.notice_line))
        self._docker.setText(state.docker_line or "")
        self._docker.setVisible(bool(state.docker_line))
        self._status.setText(state.status_line)

    def show_notification(self, notification: Notification) -> None:
        self.banner.show_notification(notification)

    def bring_forward(self) -> None:
        self.refresh()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        self.closed.emit()

    def _on_menu_about_to_show(self) -> None:
        state = self._current_state()
        self._actions.apply(state)
        fill_menu(self._menu, self._actions, state, for_tray=False)


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
