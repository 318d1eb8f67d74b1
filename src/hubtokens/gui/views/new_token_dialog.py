"""The new-token dialog: description, expiration and access permission, as on Docker Hub.

In replace mode the description and access are those of the token being replaced and only
the expiry can be chosen: the Hub cannot change a token's expiry, so a new token is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hubtokens.core.hub.models import Scope
from hubtokens.core.timefmt import exact
from hubtokens.core.validation import MAX_EXPIRY, parse_expiry
from hubtokens.gui.controllers.token_tasks import NewTokenRequest
from hubtokens.gui.models.token_rows import TokenRow
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.description_field import DescriptionField
from hubtokens.gui.views.style import NOTE_STYLE, scaled_font
from hubtokens.gui.views.task_dialog import TaskDialog

DEFAULT_SCOPE = Scope.PUBLIC_READ  # as on the Hub
NEVER = "never"
CUSTOM = "custom"
_EXPIRY_CHOICES = (("None", NEVER), ("30 days", "30d"), ("90 days", "90d"), ("Custom date", CUSTOM))


class NewTokenDialog(TaskDialog):
    """``succeeded`` carries the controller's ``Created`` result."""

    def __init__(
        self,
        submit: Callable[[NewTokenRequest], TaskHandle],
        clock: Callable[[], datetime],
        *,
        replaces: TokenRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        replacing = replaces is not None
        super().__init__(
            "Replace access token" if replacing else "New access token",
            "Create replacement" if replacing else "Generate",
            parent,
        )
        self._submit = submit
        self._clock = clock
        self.replaces = replaces
        self.setMinimumWidth(520)

        title = QLabel(self.windowTitle())
        title.setFont(scaled_font(title.font(), 1.3, bold=True))
        intro = _hint(
            _replace_intro(replaces)
            if replaces is not None
            else "A token signs the docker CLI or a CI system in to Docker Hub. "
            "Its secret is shown once, right after it is generated."
        )

        self.description = DescriptionField(replaces.label if replaces is not None else "")
        self.expiry = QComboBox()
        self.expiry.setAccessibleName("Expiration date")
        for text, value in _EXPIRY_CHOICES:
            self.expiry.addItem(text, value)
        self.expiry.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.custom_date = QDateEdit()
        self.custom_date.setAccessibleName("Custom expiration date")
        self.custom_date.setCalendarPopup(True)
        self.custom_date.setDisplayFormat("yyyy-MM-dd")
        today = clock().date()
        self.custom_date.setDateRange(_qdate(today + timedelta(days=1)), _qdate(today + MAX_EXPIRY))
        self.custom_date.setDate(_qdate(today + timedelta(days=30)))
        self.custom_date.hide()
        self.expiry_hint = _hint("")
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.expiry)
        expiry_row.addWidget(self.custom_date)
        expiry_row.addStretch(1)

        self.scopes = QButtonGroup(self)
        scope_box = QVBoxLayout()
        scope_box.setSpacing(2)
        chosen = (replaces.token.scope if replaces is not None else None) or DEFAULT_SCOPE
        self.scope_buttons: dict[Scope, QRadioButton] = {}
        for scope in Scope:
            button = QRadioButton(scope.label.replace("&", "&&"))  # "&" is not a shortcut here
            button.setChecked(scope is chosen)
            self.scopes.addButton(button)
            self.scope_buttons[scope] = button
            summary = _hint(scope.summary)
            summary.setContentsMargins(24, 0, 0, 6)
            scope_box.addWidget(button)
            scope_box.addWidget(summary)

        grid = QGridLayout(self.content)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        grid.addWidget(title, 0, 0, 1, 2)
        grid.addWidget(intro, 1, 0, 1, 2)
        grid.addWidget(
            _field_label("Description", self.description.edit), 2, 0, Qt.AlignmentFlag.AlignTop
        )
        grid.addWidget(self.description, 2, 1)
        grid.addWidget(
            _field_label("Expiration date", self.expiry), 3, 0, Qt.AlignmentFlag.AlignTop
        )
        expiry_box = QVBoxLayout()
        expiry_box.setSpacing(4)
        expiry_box.addLayout(expiry_row)
        expiry_box.addWidget(self.expiry_hint)
        grid.addLayout(expiry_box, 3, 1)
        grid.addWidget(_field_label("Access permissions"), 4, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(scope_box, 4, 1)
        grid.setColumnStretch(1, 1)

        if replacing:
            # The replacement keeps the old token's description and access.
            self.description.setEnabled(False)
            for button in self.scope_buttons.values():
                button.setEnabled(False)
        self.description.validity_changed.connect(self.update_accept_button)
        self.expiry.currentIndexChanged.connect(self._on_expiry_changed)
        self.custom_date.dateChanged.connect(self._on_expiry_changed)
        self._on_expiry_changed()
        self.update_accept_button()

    @property
    def scope(self) -> Scope:
        return next(scope for scope, button in self.scope_buttons.items() if button.isChecked())

    def expires_at(self, now: datetime) -> datetime | None:
        choice = self.expiry.currentData()
        if choice == CUSTOM:
            return parse_expiry(self.custom_date.date().toString("yyyy-MM-dd"), now)
        return parse_expiry(choice, now)

    def request(self) -> NewTokenRequest:
        return NewTokenRequest(self.description.value, self.scope, self.expires_at(self._clock()))

    # --- TaskDialog -----------------------------------------------------------------------

    def inputs_valid(self) -> bool:
        return self.description.valid

    def start_task(self) -> TaskHandle:
        return self._submit(self.request())

    # --- slots ----------------------------------------------------------------------------

    def _on_expiry_changed(self) -> None:
        self.custom_date.setVisible(self.expiry.currentData() == CUSTOM)
        expires = self.expires_at(self._clock())
        self.expiry_hint.setText(
            "The token never expires."
            if expires is None
            else f"The token expires on {exact(expires)}. This cannot be changed later."
        )


def _replace_intro(row: TokenRow) -> str:
    return (
        f"Docker Hub cannot change when a token expires. This creates a new token for "
        f"“{row.label}” with the same access and the expiry you choose, and shows it once. "
        "Afterwards you can deactivate or delete the old token."
    )


def _field_label(text: str, buddy: QWidget | None = None) -> QLabel:
    label = QLabel(text)
    # On Linux a combo box's name is its current choice: the label is tied to it instead.
    if buddy is not None:
        label.setBuddy(buddy)
    label.setFont(scaled_font(label.font(), 1.0, bold=True))
    label.setContentsMargins(0, 4, 0, 0)
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    return label


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
