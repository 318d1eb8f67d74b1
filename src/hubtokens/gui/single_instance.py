"""One running app per user and profile: a second launch asks the first to show its window.

A lock file decides who is first (two launches at once cannot both win, and a crashed
owner's lock is recognised as stale by its process id); the first listens on a local socket
that only this user can open; a later launch connects, says ``activate`` and exits.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import time
from enum import Enum
from functools import partial
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from hubtokens.gui.autostart import APP_ID

logger = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
# The first instance may still be starting when the lock says it exists: give it this long.
CONNECT_ATTEMPTS = 20
CONNECT_WAIT_MS = 500
RETRY_PAUSE_S = 0.1


class Claim(Enum):
    FIRST = "first"  # this process is the instance; it is listening now
    HANDED_OFF = "handed-off"  # another instance runs and was asked to show itself
    UNRESPONSIVE = "unresponsive"  # another instance holds the lock but does not answer


def instance_key(profile: Path | None = None, user: str | None = None) -> str:
    """``<app-id>-<user>``, plus a digest of the profile folder when one was chosen
    (``HUBTOKENS_HOME``): each profile has its own settings, so its own instance."""
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "user"
    safe_user = "".join(c if c.isalnum() or c in "-_." else "_" for c in user)[:32]
    key = f"{APP_ID}-{safe_user}"
    if profile is not None:
        key += "-" + hashlib.sha256(str(profile.resolve()).encode()).hexdigest()[:10]
    return key


class SingleInstance(QObject):
    activated = Signal()  # a later launch asked this instance to show itself

    def __init__(self, key: str, lock_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = QLockFile(str(lock_dir / f"{key}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self._server: QLocalServer | None = None
        self._spent: list[QLocalSocket] = []

    def claim(self) -> Claim:
        if self._lock.tryLock(0):
            self._listen()
            return Claim.FIRST
        for _ in range(CONNECT_ATTEMPTS):
            if self._send_activate():
                return Claim.HANDED_OFF
            # Before any window exists, and only while the other instance is starting up.
            time.sleep(RETRY_PAUSE_S)
        return Claim.UNRESPONSIVE

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _listen(self) -> None:
        QLocalServer.removeServer(self.key)  # a socket file left by a crashed instance
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._on_server_new_connection)
        if not server.listen(self.key):
            # Still the only instance (we hold the lock); later launches will not reach us.
            logger.warning("cannot listen for other launches: %s", server.errorString())
            return
        self._server = server

    def _send_activate(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(CONNECT_WAIT_MS):
            return False
        socket.write(ACTIVATE)
        sent = socket.waitForBytesWritten(CONNECT_WAIT_MS)
        socket.disconnectFromServer()
        return sent

    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        # Each launch sends one line and hangs up: the last ones are done by now. (Deleting a
        # socket on its own "disconnected" crashes when that is emitted by its destructor.)
        for spent in self._spent:
            spent.deleteLater()
        self._spent = []
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(partial(self._read_messages, socket))
            self._read_messages(socket)  # a quick sender may be done and gone already
            self._spent.append(socket)

    def _read_messages(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            if socket.readLine().data() == ACTIVATE:
                self.activated.emit()
