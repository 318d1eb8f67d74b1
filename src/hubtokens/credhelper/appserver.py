"""The running app's side of the credential helper's fast path; the helper's side, and the
wire format both speak, are in ``credhelper/appsocket.py``.

``CredServer`` listens on ``<runtime>/hubtokens/helper.sock`` and answers ``get`` from the
credentials the app holds (``credhelper.answers``):

* the ``hubtokens`` folder is made owner-only (0700) and must belong to this user, and the
  socket is 0600. A socket left by an app that ended without ``stop`` is removed; one that
  another app answers on is left alone (``ServerUnavailable``).
* On each connection the peer must run as this user (``SO_PEERCRED``), and its request must
  be at most ``MAX_REQUEST`` bytes and complete within ``APP_SECONDS``. Anything else is
  closed without an answer, and so is a request the app cannot answer exactly as the keychain
  would: the helper then reads the keychain itself.
* ``WORKERS`` threads accept and answer; more clients wait in the listen backlog.

Linux only (``SO_PEERCRED``), as is the helper's use of the socket.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress

from hubtokens.core.errors import HubTokensError
from hubtokens.credhelper.answers import HeldCredentials, StaleCredentials, answer
from hubtokens.credhelper.appsocket import APP_SECONDS, peer_uid, socket_path

logger = logging.getLogger(__name__)

WORKERS = 4
BACKLOG = 1024  # a connect fails at once when it is full (parallel pulls come in bursts)
MAX_REQUEST = 8 * 1024  # "get\n", a server name and "\n"; longer names are not addresses
PROBE_SECONDS = 0.5  # a live app answers a connect at once


class ServerUnavailable(HubTokensError):
    """The app cannot answer the credential helper (the helper reads the keychain)."""


def server_for(environ: Mapping[str, str], config_dir: str) -> CredServer | None:
    """The server the helper run with ``environ`` asks, or None where it asks none."""
    path = socket_path(environ)
    if path is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    return CredServer(path, config_dir)


def _nothing() -> None:
    pass


class CredServer:
    """Started once and stopped once; ``hold`` may be called from any thread at any time."""

    def __init__(
        self, path: str, config_dir: str, *, seconds: float = APP_SECONDS, workers: int = WORKERS
    ) -> None:
        self.path = path
        self._config_dir = config_dir
        self._seconds = seconds
        self._workers = workers
        self._holding: _Holding | None = None
        self._on_stale: Callable[[], None] = _nothing
        self._listener: socket.socket | None = None
        self._inode: int | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def hold(self, held: HeldCredentials | None) -> None:
        """Answer from ``held`` from now on; None: answer nothing.

        One reference, read once per request: every answer comes from one snapshot, whole."""
        self._holding = None if held is None else _Holding(held)

    def start(self, on_stale: Callable[[], None] = _nothing) -> None:
        """Listen. ``on_stale`` is called (from a worker thread) when the held credentials
        no longer match the files, once per ``hold``."""
        try:
            _make_private_folder(os.path.dirname(self.path))
            _remove_stale_socket(self.path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                listener.bind(self.path)
                os.chmod(self.path, 0o600)
                listener.listen(BACKLOG)
                self._inode = os.stat(self.path).st_ino
            except BaseException:
                listener.close()
                raise
        except OSError as exc:
            raise ServerUnavailable(
                f"cannot listen on {self.path}: {exc.strerror or exc}"
            ) from None
        self._on_stale = on_stale
        self._listener = listener
        self._threads = [
            threading.Thread(
                target=self._accept_loop, args=(listener,), name=f"credserver-{n}", daemon=True
            )
            for n in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        logger.info("answering the credential helper at %s", self.path)

    def stop(self) -> None:
        """Forget the credentials, end the workers and remove the socket (if still ours)."""
        self._holding = None
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping.set()
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes every accept()
        for thread in self._threads:
            thread.join(timeout=self._seconds + 1)
        listener.close()
        with suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    # --- on the workers ----------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                self._stopping.wait(0.1)  # e.g. out of file descriptors: do not spin
                continue
            with connection:
                try:
                    self._serve(connection)
                except OSError:
                    pass  # the helper hung up or gave up: it reads the keychain
                except Exception as exc:  # a bug must not end the worker
                    logger.error("answering the credential helper failed: %s", type(exc).__name__)

    def _serve(self, connection: socket.socket) -> None:
        deadline = time.monotonic() + self._seconds
        if peer_uid(connection) != os.getuid():
            return  # closed without reading a byte
        request = _receive(connection, deadline)
        reply = None if request is None else self._reply(request)
        if reply is not None:
            connection.settimeout(max(deadline - time.monotonic(), 0.001))
            connection.sendall(reply)

    def _reply(self, request: bytes) -> bytes | None:
        holding = self._holding
        server = _server_asked(request)
        if holding is None or server is None:
            return None
        try:
            result = answer(holding.held, self._config_dir, server)
        except StaleCredentials:
            if not holding.stale_reported:
                holding.stale_reported = True
                self._on_stale()
            return None
        if result is None:
            return None
        code, text = result
        try:
            return f"{code}\n{text}".encode()
        except UnicodeEncodeError:  # a file name that is not text: the helper prints it its way
            return None


class _Holding:
    """What ``hold`` was given, and whether it was reported stale (dropped with it, so no
    secret outlives the next ``hold``)."""

    __slots__ = ("held", "stale_reported")

    def __init__(self, held: HeldCredentials) -> None:
        self.held = held
        self.stale_reported = False


def _make_private_folder(folder: str) -> None:
    os.makedirs(os.path.dirname(folder), mode=0o700, exist_ok=True)  # $HUBTOKENS_HOME/run
    with suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise ServerUnavailable(f"{folder} is not a folder of this user's")
    if st.st_mode & 0o077:
        os.chmod(folder, 0o700)  # ours, but the helper uses it only when private


def _remove_stale_socket(path: str) -> None:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(PROBE_SECONDS)
    try:
        probe.connect(path)
    except FileNotFoundError:
        return
    except ConnectionRefusedError:  # nobody listens: left by an app that ended abruptly
        os.unlink(path)
        return
    finally:
        probe.close()
    raise ServerUnavailable(f"another Hub Tokens answers the credential helper at {path}")


def _receive(connection: socket.socket, deadline: float) -> bytes | None:
    """The whole request (until the helper shuts its side), or None if too large or late."""
    request = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        connection.settimeout(remaining)
        chunk = connection.recv(4096)
        if not chunk:
            return bytes(request)
        request += chunk
        if len(request) > MAX_REQUEST:
            return None


def _server_asked(request: bytes) -> str | None:
    """The server of ``get\\n<server>\\n``, or None for anything else."""
    if len(request) < 6 or not request.startswith(b"get\n") or not request.endswith(b"\n"):
        return None
    try:
        return request[4:-1].decode("utf-8")
    except UnicodeDecodeError:
        return None
