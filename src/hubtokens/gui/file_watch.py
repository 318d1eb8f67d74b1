"""``FileWatch``: says when a file may have changed, such as the settings that ``hubtokens``
commands rewrite while the app runs (``token rm``, ``signout``, ``signin``).

The folder is watched, not the file: files here are replaced whole (a new file renamed over
the old one), and a watch on the old file would end with it. Bursts are told once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

SETTLE_MS = 100  # a command's few writes in a row are one change


class FileWatch(QObject):
    changed = Signal()

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = path.parent
        self._watcher = QFileSystemWatcher(self)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.changed)
        self._watcher.directoryChanged.connect(self._on_directory_changed)

    def start(self) -> None:
        # The folder may not exist before the first sign-in; made as the settings make it.
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._watcher.addPath(str(self._folder))

    def stop(self) -> None:
        self._settle.stop()
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())

    def _on_directory_changed(self, _path: str) -> None:
        self._settle.start()
