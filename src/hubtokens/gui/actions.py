"""The app's actions, shared by the tray menu and the window, so that every tray action is
also reachable without a tray. ``apply(TrayState)`` sets their words and enabled flags;
``fill_menu`` lays a menu out from them. Triggering one is the intent; the app connects it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from hubtokens.gui.state import TrayState


class AppActions(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.open_window = QAction("Open Hub Tokens", self)
        self.copy_login = QAction("Copy docker login command", self)
        self.copy_token = QAction("Copy token", self)
        self.use_docker = QAction("Let docker use this token", self)
        self.use_docker.setCheckable(True)
        self.sign_docker_in = QAction("Sign docker in again", self)
        # Only while docker's config.json keeps a Docker Hub secret that docker no longer reads.
        self.remove_docker_credential = QAction("Remove docker's stored credential…", self)
        self.manage = QAction("Manage access tokens…", self)
        self.new_token = QAction("New access token…", self)
        self.check_leaks = QAction("Check for leaked tokens…", self)
        self.sync = QAction("Sync now", self)
        # Only while the auto token is displaced; asks first, as it costs another device's.
        self.recreate = QAction("Recreate token…", self)
        self.sign_in = QAction("Sign in…", self)
        self.sign_out = QAction("Sign out", self)
        self.start_at_login = QAction("Start at login", self)
        self.start_at_login.setCheckable(True)
        self.manage.setShortcut(QKeySequence("Ctrl+T"))
        self.new_token.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.copy_token.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.sync.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.quit = QAction("Quit Hub Tokens", self)
        self.quit.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        for action in (self.manage, self.new_token, self.copy_token, self.sync, self.quit):
            # Shortcuts work in the window; the tray menu would only show dead key hints.
            action.setShortcutVisibleInContextMenu(False)

    def apply(self, state: TrayState) -> None:
        signed_in = state.signed_in
        self.copy_login.setEnabled(signed_in)
        self.copy_token.setEnabled(state.can_copy)
        self.manage.setEnabled(state.can_manage)
        self.new_token.setEnabled(state.can_manage)
        self.sync.setEnabled(signed_in and not state.syncing)
        self.sync.setText("Syncing…" if state.syncing else "Sync now")
        self.recreate.setVisible(state.can_recreate)
        self.recreate.setEnabled(state.can_recreate and not state.syncing)
        self.sign_in.setVisible(state.needs_sign_in)
        self.sign_in.setText("Sign in again…" if signed_in else "Sign in…")
        self.sign_out.setVisible(signed_in)
        self.start_at_login.setChecked(state.start_at_login)
        docker = state.docker
        self.use_docker.setChecked(docker.uses_helper)
        # Undoing stays possible when signed out; setting up needs a token to use.
        self.use_docker.setEnabled(not docker.busy and (signed_in or docker.uses_helper))
        self.sign_docker_in.setVisible(bool(docker.signed_out))
        self.sign_docker_in.setEnabled(signed_in and not docker.busy)
        self.remove_docker_credential.setVisible(
            docker.uses_helper and bool(docker.plain_credentials)
        )
        self.remove_docker_credential.setEnabled(not docker.busy)


def status_lines(state: TrayState) -> list[str]:
    """The tray menu's first lines: what the state is, not commands."""
    lines = (
        state.account_line,
        state.session_line,
        state.token_line,
        state.notice_line,
        state.docker_line,
    )
    return [text for text in lines if text]


def fill_menu(
    menu: QMenu, actions: AppActions, state: TrayState, *, for_tray: bool = True
) -> list[QAction]:
    """Lay the menu out for ``state``; returns its status lines. The tray menu starts with
    them and a way to the window; the window's own menu has only the actions."""
    menu.clear()
    lines = []
    if for_tray:
        for text in status_lines(state):
            line = menu.addAction(text)
            line.setEnabled(False)  # information, not a command
            lines.append(line)
        menu.addSeparator()
        menu.addAction(actions.open_window)
        menu.addSeparator()
    groups = (
        (
            actions.copy_login,
            actions.copy_token,
            actions.use_docker,
            actions.sign_docker_in,
            actions.remove_docker_credential,
        ),
        (actions.manage, actions.new_token, actions.check_leaks),
        (actions.sync, actions.recreate, actions.sign_in, actions.sign_out),
        (actions.start_at_login,),
        (actions.quit,),
    )
    for index, group in enumerate(groups):
        if index:
            menu.addSeparator()
        menu.addActions(list(group))
    return lines
