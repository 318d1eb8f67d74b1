"""The access-token manager window: every token of the account in a sortable, filterable
table, and the actions on them. All Hub work goes through ``TokensController``; questions go
through ``TokenPrompts`` so tests can answer them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QToolButton, QVBoxLayout, QWidget

from hubtokens.core.hub.models import AccessToken
from hubtokens.core.keeper.policy import BUDGET_IN_WORDS
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.token_tasks import Created
from hubtokens.gui.controllers.tokens import TokensController
from hubtokens.gui.icons import app_icon
from hubtokens.gui.models.token_rows import TokenRow, make_row
from hubtokens.gui.models.token_table_model import TokenFilter, TokenFilterProxy
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.new_token_dialog import NewTokenDialog
from hubtokens.gui.views.open_dialogs import OpenDialogs, bring_forward, parent_for
from hubtokens.gui.views.rename_dialog import RenameDialog
from hubtokens.gui.views.reveal_dialog import RevealDialog
from hubtokens.gui.views.session_banner import SessionBanner
from hubtokens.gui.views.stale_review_dialog import StaleReviewDialog
from hubtokens.gui.views.token_actions import TokenActions
from hubtokens.gui.views.token_filter_bar import TokenFilterBar
from hubtokens.gui.views.token_prompts import FollowUp, MessageBoxPrompts, TokenPrompts
from hubtokens.gui.views.token_status_bar import TokenStatusBar
from hubtokens.gui.views.token_table_view import TokenTableView

#: A delete confirmation names at most this many tokens; the rest are counted.
NAMES_LISTED = 8


class TokenWindow(QMainWindow):
    sign_in_requested = Signal()
    own_token_changed = Signal()  # this device's auto token was changed from this window
    leak_check_requested = Signal()  # "Check for leaked tokens…": the app opens it

    def __init__(
        self,
        controller: TokensController,
        clipboard: ClipboardGuard,
        prompts: TokenPrompts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._clipboard = clipboard
        self._prompts: TokenPrompts = prompts or MessageBoxPrompts()
        self._kept_selection: set[str] = set()
        self.reveal_dialog: RevealDialog | None = None
        self._dialogs = OpenDialogs(self)  # also those opened while this window is hidden
        self.setWindowTitle("Access tokens — Hub Tokens")
        self.setWindowIcon(app_icon())
        self.resize(1100, 620)

        model = controller.model
        self.proxy = TokenFilterProxy(model, self)
        self.table = TokenTableView(self.proxy)
        self.filter_bar = TokenFilterBar()
        self.banner = SessionBanner()
        self.status = TokenStatusBar()
        self.setStatusBar(self.status)
        self.token_actions = TokenActions(self, self.table)
        self._build_toolbar()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 8, 10, 4)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)
        self.setCentralWidget(central)

        a = self.token_actions
        a.new.triggered.connect(self.open_new_token_dialog)
        a.rename.triggered.connect(self.open_rename_dialog)
        a.activate.triggered.connect(self.activate_selected)
        a.deactivate.triggered.connect(self.deactivate_selected)
        a.replace.triggered.connect(self.open_replace_dialog)
        a.delete.triggered.connect(self.delete_selected)
        a.refresh.triggered.connect(controller.refresh)
        a.review_stale.triggered.connect(self.open_stale_review)
        a.find.triggered.connect(self.filter_bar.search.setFocus)
        a.check_leaks.triggered.connect(self.leak_check_requested)
        self.banner.sign_in_requested.connect(self.sign_in_requested)
        controller.own_token_changed.connect(self.own_token_changed)
        self.filter_bar.filter_changed.connect(self._on_filter_bar_filter_changed)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.doubleClicked.connect(self.open_rename_dialog)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        model.modelReset.connect(self._on_model_reset)
        for change in (model.rowsInserted, model.rowsRemoved, model.dataChanged):
            change.connect(self._on_rows_changed)
        controller.refresh_started.connect(self.status.start_progress)
        controller.refresh_started.connect(self._update_placeholder)
        controller.refresh_progress.connect(self.status.show_progress)
        controller.refresh_finished.connect(self.status.hide_progress)
        controller.refresh_finished.connect(self._update_placeholder)
        controller.refreshed.connect(self._on_controller_refreshed)
        controller.message.connect(self.status.show_message)
        controller.error.connect(self.status.show_error)
        controller.session_problem_changed.connect(self._on_controller_session_problem_changed)
        self._on_rows_changed()

    # --- entry points (tray, app) ---------------------------------------------------------

    def show_and_refresh(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.controller.refresh()

    def open_new_token_dialog(self) -> NewTokenDialog:
        """Also the tray's and the home window's "New access token…", with this window
        shown or hidden. Asked again while one is open, it brings that one forward."""
        for dialog in self._dialogs.showing(NewTokenDialog):
            if dialog.replaces is None:
                bring_forward(dialog)
                return dialog
        return self._open_token_dialog(None)

    # --- actions --------------------------------------------------------------------------

    def selected_rows(self) -> list[TokenRow]:
        return self.table.selected_rows()

    def open_replace_dialog(self) -> NewTokenDialog | None:
        rows = self.selected_rows()
        return self._open_token_dialog(rows[0]) if len(rows) == 1 else None

    def open_replace_dialog_for(self, token: AccessToken) -> NewTokenDialog:
        """Replace… for a token found elsewhere (the leak check): the row as listed here, or
        one made from the token as the Hub described it then."""
        listed = [row for row in self.controller.model.rows if row.uuid == token.uuid]
        row = listed[0] if listed else make_row(token, self.controller.clock(), None)
        return self._open_token_dialog(row)

    def reload(self) -> None:
        """Tokens changed elsewhere: list them again if the window is shown (it lists them
        anyway when it is next shown)."""
        if self.isVisible():
            self.controller.refresh()

    def open_rename_dialog(self) -> RenameDialog | None:
        rows = self.selected_rows()
        if len(rows) != 1 or not self.token_actions.rename.isEnabled():
            return None
        return self._dialogs.open(RenameDialog(rows[0], self.controller.rename, parent_for(self)))

    def activate_selected(self) -> TaskHandle | None:
        return self.controller.activate(self.selected_rows())

    def deactivate_selected(self) -> TaskHandle | None:
        return self.controller.deactivate(self.selected_rows())

    def delete_selected(self) -> TaskHandle | None:
        """Deletes the selected tokens once the person confirms."""
        rows = self.selected_rows()
        if not rows or not self._prompts.confirm(
            self, "Delete access tokens", delete_question(rows), "Delete"
        ):
            return None
        return self.controller.delete(rows)

    def open_stale_review(self) -> StaleReviewDialog | None:
        stale = [row for row in self.controller.model.rows if row.stale]
        if not stale:
            return None
        dialog = StaleReviewDialog(stale, parent_for(self))
        dialog.delete_requested.connect(self.controller.delete)
        return self._dialogs.open(dialog)

    def _open_token_dialog(self, replaces: TokenRow | None) -> NewTokenDialog:
        dialog = NewTokenDialog(
            lambda request: self.controller.create(request, replaces),
            self.controller.clock,
            replaces=replaces,
            parent=parent_for(self),
        )
        dialog.succeeded.connect(self._on_token_created)
        return self._dialogs.open(dialog)

    def _on_token_created(self, created: Created) -> None:
        self.table.select_uuids({created.row.uuid})  # the new token, in view
        dialog = RevealDialog(created, self._clipboard, self._prompts, parent_for(self))
        self.reveal_dialog = dialog
        if created.replaces is not None:
            old = created.replaces
            dialog.finished.connect(lambda _: self._retire(old))
        dialog.destroyed.connect(self._on_reveal_dialog_destroyed)
        self._dialogs.open(dialog)

    def _on_reveal_dialog_destroyed(self) -> None:
        self.reveal_dialog = None

    def _retire(self, old: TokenRow) -> None:
        """After a replacement: offer to deactivate or delete the token it replaces."""
        choice = self._prompts.choose_follow_up(parent_for(self), old.label)
        if choice is FollowUp.DEACTIVATE:
            self.controller.deactivate([old])
        elif choice is FollowUp.DELETE:
            self.controller.delete([old])

    # --- slots ----------------------------------------------------------------------------

    def _on_filter_bar_filter_changed(self, token_filter: TokenFilter) -> None:
        self.proxy.set_filter(token_filter)
        self._on_rows_changed()

    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # not one more per right-click
        a = self.token_actions
        _fill(
            menu,
            (
                a.rename,
                a.replace,
                None,
                a.activate,
                a.deactivate,
                None,
                a.delete,
                None,
                a.new,
                a.refresh,
                None,
                a.review_stale,
                a.check_leaks,
            ),
        )
        # Also the Menu key's: the tool bar takes no focus, so this is where a keyboard
        # reaches the actions that have no shortcut.
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _on_model_about_to_be_reset(self) -> None:
        self._kept_selection = {row.uuid for row in self.selected_rows()}

    def _on_model_reset(self) -> None:
        if self._kept_selection:
            self.table.select_uuids(self._kept_selection)
        self._on_rows_changed()

    def _on_rows_changed(self) -> None:
        counts = self.controller.model.counts()
        self.status.show_counts(counts, self.proxy.rowCount())
        self._update_placeholder()
        self._update_actions()

    def _update_placeholder(self) -> None:
        if self.controller.refreshing and not self.controller.model.rowCount():
            text = "Loading access tokens…"
        elif self.controller.last_refresh is None:
            text = ""  # not listed (yet): the status bar or the banner says why
        elif self.controller.model.rowCount():
            text = "No token matches the filter."
        else:
            text = "This account has no access tokens yet. Create one with New token."
        self.table.set_placeholder(text)

    def _on_controller_refreshed(self, when: datetime) -> None:
        self.status.show_updated(when)
        self.status.clear_error()
        if self.controller.account:
            self.setWindowTitle(f"Access tokens of {self.controller.account} — Hub Tokens")

    def _on_controller_session_problem_changed(self, problem: str | None) -> None:
        self.banner.show_problem(problem)
        self._update_actions()

    def _update_actions(self) -> None:
        self.token_actions.update(
            self.selected_rows(),
            can_manage=self.controller.session_problem is None,
            stale=self.controller.model.counts().stale,
        )

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Token actions")
        toolbar.setObjectName("tokenActions")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = self.token_actions
        _fill(
            toolbar,
            (
                a.new,
                None,
                a.rename,
                a.replace,
                a.activate,
                a.deactivate,
                a.delete,
                None,
                a.refresh,
                None,
                a.review_stale,
                a.check_leaks,
            ),
        )
        # Qt's "»" button for the actions that do not fit has no name of its own.
        more = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if more is not None:
            more.setAccessibleName("More token actions")
        self.addToolBar(toolbar)


def delete_question(rows: Sequence[TokenRow]) -> str:
    """The confirmation text: names the tokens, and warns about this device's own token."""
    names = "\n".join(f"  • {row.label}" for row in rows[:NAMES_LISTED])
    more = len(rows) - NAMES_LISTED
    if more > 0:
        names += f"\n  … and {more} more"
    what = "this token" if len(rows) == 1 else f"these {len(rows)} tokens"
    text = f"Delete {what} for good?\n\n{names}\n\nAnything still using {'it' if len(rows) == 1 else 'them'} stops working."
    if any(row.this_device for row in rows):
        text += (
            "\n\nOne of them is this device's own token, which the docker CLI uses through "
            f"Hub Tokens. Hub Tokens makes a new one automatically ({BUDGET_IN_WORDS}), or at "
            "once with Sync now."
        )
    return text


def _fill(target: QMenu | QToolBar, actions: Sequence[QAction | None]) -> None:
    """Add ``actions`` in order; ``None`` is a separator."""
    for action in actions:
        if action is None:
            target.addSeparator()
        else:
            target.addAction(action)
