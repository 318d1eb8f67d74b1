"""One keeper at a time per user: an advisory file lock shared by the app and the CLI.

Two processes reconciling at once could both decide to create; the lock makes "at most one
auto token per device" hold across processes, not just threads.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hubtokens.core.errors import ConfigError, HubTokensError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class KeeperBusy(HubTokensError):
    """Another Hub Tokens process is updating the auto token; try again in a moment."""


class KeeperLock:
    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise KeeperBusy()
        try:
            fd = self._open()
            try:
                deadline = time.monotonic() + self.timeout
                while not _try_lock(fd):
                    if time.monotonic() > deadline:
                        raise KeeperBusy()
                    time.sleep(0.05)
                try:
                    yield
                finally:
                    _unlock(fd)
            finally:
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # an unwritable state folder, a read-only file system
            raise ConfigError(
                f"cannot open the keeper's lock file {self.path}: {exc.strerror}",
                hint="Hub Tokens must be able to create and write that file (and its folder)",
            ) from None
