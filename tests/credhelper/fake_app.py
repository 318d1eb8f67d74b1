"""A stand-in for the running app's socket server (``credhelper/appserver.py``)."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path


class FakeApp:
    """Listens where the app would and answers every request with ``reply(request)``.

    It records each request and each asker's command line (from its pid, by ``SO_PEERCRED``),
    which shows how the helper was started."""

    def __init__(self, path: Path, reply: Callable[[bytes], bytes]) -> None:
        self.requests: list[bytes] = []
        self.command_lines: list[list[str]] = []
        self._reply = reply
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            with conn:
                self.command_lines.append(_command_line(conn))
                request = b""
                while chunk := conn.recv(4096):
                    request += chunk
                self.requests.append(request)
                answer = self._reply(request)
                if answer:
                    conn.sendall(answer)

    def close(self) -> None:
        self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
        self._server.close()
        self._thread.join(timeout=5)


def answer(code: int, text: str) -> Callable[[bytes], bytes]:
    return lambda request: f"{code}\n{text}".encode()


def _command_line(conn: socket.socket) -> list[str]:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    pid = int.from_bytes(creds[:4], sys.byteorder)
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []
