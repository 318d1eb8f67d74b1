""" "Check for leaked tokens…": pick folders (and this computer's usual places), check them with
the scanner on a worker, watch the count and Cancel, then see each token found, which token it
is once identified, and deactivate or replace the account's live ones.

Non-modal: a long check must not block the rest of the app. Every question goes through
``TokenPrompts``, so tests answer them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hubtokens.core.hub.models import AccessToken
from hubtokens.core.scan.identify import Identity
from hubtokens.gui.controllers.leak_check import LeakCheckController
from hubtokens.gui.controllers.leak_tasks import ScanOutcome, ScanRequest
from hubtokens.gui.icons import app_icon
from hubtokens.gui.views.leak_rows import HEADERS, row_texts, row_tooltip, size_words
from hubtokens.gui.views.style import ERROR_STYLE, NOTE_STYLE
from hubtokens.gui.views.tab_order import set_tab_order
from hubtokens.gui.views.token_prompts import TokenPrompts

HOME_CHECK = "Also check where tokens end up on this computer (docker's config, shell histories)"
USE_NOTE = (
    "Identifying signs in to {hub} with each token found, which counts as a use of it there: "
    "its “last used” becomes now. Passwords are not sent."
)


class LeakCheckDialog(QDialog):
    replace_requested = Signal(object)  # AccessToken: the manager's Replace… for it

    def __init__(
        self,
        controller: LeakCheckController,
        prompts: TokenPrompts,
        *,
        hub: str,  # the hub's name for people
        home: Path,
        environ: Mapping[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        controller.setParent(self)
        self._prompts = prompts
        self._hub = hub
        self._home = home
        self._environ = dict(environ)
        self._cancelling = False
        self._items: list[list[QTableWidgetItem]] = []  # the table's cells, row by row
        self.setWindowTitle("Check for leaked tokens — Hub Tokens")
        self.setWindowIcon(app_icon())
        self.resize(980, 620)

        self.folders = QListWidget()
        self.folders.setAccessibleName("Folders to check")
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.folders.setMaximumHeight(110)
        self.add_button = _button("Add folder…", "Add a folder to check")
        self.remove_button = _button("Remove", "Remove the selected folders from the list")
        self.home_check = QCheckBox(HOME_CHECK)
        self.home_check.setAccessibleName(HOME_CHECK)
        self.status = QLabel("Add the folders to check, then Check.")
        self.status.setAccessibleName("Check status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Checking")
        self.progress.setRange(0, 0)  # how much is left is not known while walking
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("Tokens found")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((260, 190, 150)):
            self.table.setColumnWidth(column, width)
        self.message = QLabel()
        self.message.setAccessibleName("Message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.use_note = QLabel(USE_NOTE.format(hub=hub))
        self.use_note.setWordWrap(True)
        self.use_note.setStyleSheet(NOTE_STYLE)
        self.identify_button = _button(
            "Identify…", f"Ask {hub} which token each secret found is (counts as a use of each)"
        )
        self.deactivate_button = _button(
            "Deactivate…", "Deactivate the selected live tokens of your account on the Hub"
        )
        self.replace_button = _button(
            "Replace…", "Create a token with the same description and access, in the manager"
        )
        self.close_button = _button(
            "Close", "Close this window (a check or identification running is cancelled)"
        )
        self.cancel_button = _button("Cancel", "Stop the check now")
        self.cancel_button.hide()
        self.check_button = _button("Check", "Check the folders for Docker tokens")
        self.check_button.setDefault(True)
        self.check_button.setAutoDefault(True)
        for button in (self.add_button, self.remove_button, self.identify_button):
            button.setAutoDefault(False)
        if not controller.can_identify:
            self.identify_button.setToolTip(f"Sign in to {hub} to ask which token each secret is")
        self._lay_out()
        self._tab_order()
        self._connect()
        self._update()

    # --- for the app and the tests --------------------------------------------------------

    def add_folder(self, folder: Path) -> None:
        text = str(folder)
        if not self.folders.findItems(text, Qt.MatchFlag.MatchExactly):
            self.folders.addItem(text)
        self._update()

    def folder_paths(self) -> list[Path]:
        return [Path(self.folders.item(n).text()) for n in range(self.folders.count())]

    def start_check(self) -> None:
        if self.controller.busy or not self._can_check():
            return
        request = ScanRequest(
            tuple(self.folder_paths()),
            self._home if self.home_check.isChecked() else None,
            self._environ,
        )
        self._cancelling = False
        self.controller.start_scan(request)

    def cancel_check(self) -> None:
        if self.controller.scanning:
            self._cancelling = True
            self.controller.cancel_scan()

    def selected_fingerprints(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        findings = self.controller.findings
        return [findings[row].fingerprint for row in rows if row < len(findings)]

    def identify(self) -> None:
        if not self.controller.findings or not self._prompts.confirm(
            self,
            "Identify the tokens found?",
            USE_NOTE.format(hub=self._hub),
            "Identify",
        ):
            return
        self.controller.identify()

    def deactivate_selected(self) -> None:
        targets = self.controller.deactivatable(self.selected_fingerprints())
        if targets and self._prompts.confirm(
            self, "Deactivate tokens", self._deactivate_question(targets), "Deactivate"
        ):
            self.controller.deactivate(targets)

    def replace_selected(self) -> None:
        token = self._replaceable()
        if token is not None:
            self.replace_requested.emit(token)

    # --- slots ----------------------------------------------------------------------------

    def _on_scan_started(self) -> None:
        self._show_message(None)
        self.table.setRowCount(0)
        self._items = []
        self.status.setText("Checking…")
        self.progress.show()
        self._update()

    def _on_scan_progress(self, files: int, size: int) -> None:
        self.status.setText(f"Checking… {_files(files, size)} so far")

    def _on_scan_finished(self, outcome: ScanOutcome | None) -> None:
        self.progress.hide()
        if outcome is not None:
            self.status.setText(_summary(outcome))
            self._fill_table()
        elif self._cancelling:
            self.status.setText("Cancelled: nothing is listed from a check that did not end.")
        else:  # it failed: the error, which came first, is in the message below
            self.status.setText("The check did not finish: nothing is listed from it.")
        self._cancelling = False
        self._update()

    def _on_error(self, text: str) -> None:
        self._show_message(text, error=True)

    def _fill_table(self) -> None:
        """One row per finding, in the order found (the controller's ``findings``)."""
        self.table.setRowCount(len(self.controller.findings))
        self._items = []
        for row, finding in enumerate(self.controller.findings):
            tip = row_tooltip(finding)
            items = [QTableWidgetItem() for _ in HEADERS]
            for column, item in enumerate(items):
                item.setToolTip(tip)
                self.table.setItem(row, column, item)
            self._items.append(items)
        self._refresh_words()

    def _refresh_words(self) -> None:
        identities = self.controller.identities
        for items, finding in zip(self._items, self.controller.findings, strict=True):
            identity = identities.get(finding.fingerprint)
            gone = identity is not None and identity.uuid in self.controller.deactivated_uuids
            for item, text in zip(items, row_texts(finding, identity, gone), strict=True):
                item.setText(text)
        self._update()

    def _update(self) -> None:
        c = self.controller
        scanning = c.scanning
        for widget in (self.folders, self.add_button, self.home_check):
            widget.setEnabled(not scanning)
        self.remove_button.setEnabled(not scanning and bool(self.folders.selectedItems()))
        self.check_button.setEnabled(not c.busy and self._can_check())
        self.cancel_button.setVisible(scanning)
        self.check_button.setVisible(not scanning)
        self.identify_button.setEnabled(not c.busy and c.can_identify and bool(c.findings))
        selected = self.selected_fingerprints()
        self.deactivate_button.setEnabled(not c.busy and bool(c.deactivatable(selected)))
        self.replace_button.setEnabled(self._replaceable() is not None)

    def _replaceable(self) -> AccessToken | None:
        """The token of the one selected row, when it is the account's and not this device's
        auto token (that one is replaced by deleting it: Hub Tokens makes another)."""
        selected = self.selected_fingerprints()
        if len(selected) != 1:
            return None
        identity = self.controller.identities.get(selected[0])
        if identity is None or identity.token is None or self.controller.is_device_token(identity):
            return None
        return identity.token

    def _deactivate_question(self, targets: Sequence[Identity]) -> str:
        names = "\n".join(f"  • {t.description}" for t in targets)
        text = (
            f"Deactivate on {self._hub}?\n\n{names}\n\nAnything still using "
            f"{'it' if len(targets) == 1 else 'them'} stops working until activated again "
            "(Manage access tokens…)."
        )
        auto = next((t for t in targets if self.controller.is_device_token(t)), None)
        if auto is not None:
            text += (
                f"\n\n“{auto.description}” is this device's auto token: once deactivated, "
                f"docker on this device has no working credential for {self._hub}. Hub Tokens "
                "reports a deactivated auto token and does not replace it; for a new one, "
                "delete it in Manage access tokens… and Hub Tokens makes another."
            )
        return text

    def _show_message(self, text: str | None, *, error: bool = False) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setVisible(bool(text))

    def _can_check(self) -> bool:
        return self.folders.count() > 0 or self.home_check.isChecked()

    def _on_add_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to check", str(self._home))
        if folder:
            self.add_folder(Path(folder))

    def _on_remove_clicked(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))
        self._update()

    # --- closing --------------------------------------------------------------------------

    def reject(self) -> None:
        """Escape and Close: a check or an identification running is cancelled (both wake
        at once)."""
        self._cancel_running()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel_running()
        super().closeEvent(event)

    def _cancel_running(self) -> None:
        self.cancel_check()
        self.controller.cancel_identifying()

    # --- building -------------------------------------------------------------------------

    def _lay_out(self) -> None:
        folder_buttons = QVBoxLayout()
        folder_buttons.addWidget(self.add_button)
        folder_buttons.addWidget(self.remove_button)
        folder_buttons.addStretch(1)
        folders = QHBoxLayout()
        folders.addWidget(self.folders, 1)
        folders.addLayout(folder_buttons)
        folders_label = QLabel("&Folders to check:")
        folders_label.setBuddy(self.folders)
        results_label = QLabel("Tokens found:")
        buttons = QHBoxLayout()
        for button in (self.identify_button, self.deactivate_button, self.replace_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.close_button, self.cancel_button, self.check_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(folders_label)
        layout.addLayout(folders)
        layout.addWidget(self.home_check)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(results_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.use_note)
        layout.addLayout(buttons)

    def _tab_order(self) -> None:
        chain = (
            self.folders,
            self.add_button,
            self.remove_button,
            self.home_check,
            self.table,
            self.identify_button,
            self.deactivate_button,
            self.replace_button,
            self.close_button,
            self.cancel_button,
            self.check_button,
        )
        set_tab_order(chain)

    def _connect(self) -> None:
        c = self.controller
        c.scan_started.connect(self._on_scan_started)
        c.scan_progress.connect(self._on_scan_progress)
        c.scan_finished.connect(self._on_scan_finished)
        c.identified.connect(self._refresh_words)
        c.deactivated.connect(self._refresh_words)
        c.busy_changed.connect(self._update)
        c.error.connect(self._on_error)
        c.note.connect(self._show_message)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.folders.itemSelectionChanged.connect(self._update)
        self.home_check.toggled.connect(self._update)
        self.table.itemSelectionChanged.connect(self._update)
        self.identify_button.clicked.connect(self.identify)
        self.deactivate_button.clicked.connect(self.deactivate_selected)
        self.replace_button.clicked.connect(self.replace_selected)
        self.close_button.clicked.connect(self.reject)
        self.cancel_button.clicked.connect(self.cancel_check)
        self.check_button.clicked.connect(self.start_check)


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(text.rstrip("…"))
    button.setToolTip(tip)
    return button


def _summary(outcome: ScanOutcome) -> str:
    checked = _files(outcome.files, outcome.bytes)
    unread = f"; {outcome.skipped:,} could not be read" if outcome.skipped else ""
    found = outcome.findings
    if not found:
        return f"No Docker token found in {checked}{unread}."
    secrets = len({f.fingerprint for f in found})
    places = f"{len(found)} place{'s' if len(found) != 1 else ''}"
    distinct = f"{secrets} distinct secret{'s' if secrets != 1 else ''}"
    return f"Found {distinct} in {places}, in {checked}{unread}."


def _files(count: int, size: int) -> str:
    return f"{count:,} file{'s' if count != 1 else ''} ({size_words(size)})"
