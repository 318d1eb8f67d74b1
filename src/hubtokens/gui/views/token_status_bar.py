"""The token window's status bar: what the last action did or why it failed, listing
progress, the counts, and when the list was last fetched."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QWidget

from hubtokens.core.timefmt import exact
from hubtokens.gui.models.token_rows import TokenCounts
from hubtokens.gui.views.style import ERROR_STYLE


class TokenStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice = QLabel()
        # Long messages are cut rather than widening the window; the tooltip has all of it.
        self.notice.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.summary = QLabel()
        self.updated = QLabel("Not loaded yet")
        self.addWidget(self.notice, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.summary)
        self.addPermanentWidget(self.updated)
        self._error = False

    @property
    def error_text(self) -> str | None:
        return self.notice.text() if self._error else None

    def show_message(self, text: str) -> None:
        self._notice(text, error=False)

    def show_error(self, text: str) -> None:
        self._notice(text, error=True)

    def clear_error(self) -> None:
        """After a success that makes the last error moot."""
        if self._error:
            self._notice("", error=False)

    def show_progress(self, loaded: int, total: int) -> None:
        self.progress.show()
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(loaded)
            self.progress.setFormat(f"{loaded:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)  # busy indicator until the total is known

    def start_progress(self) -> None:
        self.show_progress(0, 0)

    def hide_progress(self) -> None:
        self.progress.hide()

    def show_counts(self, counts: TokenCounts, shown: int) -> None:
        parts = [
            f"{counts.total:,} token{'s' if counts.total != 1 else ''}"
            if shown == counts.total
            else f"Showing {shown:,} of {counts.total:,}",
            f"{counts.active:,} active",
            f"{counts.auto:,} auto-generated",
        ]
        if counts.stale:
            parts.append(f"{counts.stale:,} stale")
        self.summary.setText(" · ".join(parts))

    def show_updated(self, when: datetime) -> None:
        self.updated.setText(f"Updated {when.astimezone(UTC):%H:%M} UTC")
        self.updated.setToolTip(f"Listed from Docker Hub at {exact(when)}")

    def _notice(self, text: str, *, error: bool) -> None:
        self.notice.setText(text)
        self.notice.setToolTip(text)
        self._error = error
        self.notice.setStyleSheet(ERROR_STYLE if error else "")
