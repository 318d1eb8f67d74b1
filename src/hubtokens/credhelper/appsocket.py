"""Ask the running app for the answer to ``get``: the fast path when the app is running.

The app (its side is ``credhelper/appserver.py``) listens on ``<runtime>/hubtokens/helper.sock``,
where ``<runtime>`` is ``$HUBTOKENS_HOME/run`` when that is set, else ``$XDG_RUNTIME_DIR``.
The helper uses that socket only when

* the ``hubtokens`` folder belongs to this user and others have no access to it (mode 0700),
  so no one else can have put the socket there, and
* the process listening runs as this user (``SO_PEERCRED``; Linux only, elsewhere the app is
  not asked).

Wire format, one request per connection, UTF-8: the helper sends ``get\\n<server>\\n`` and
shuts down its sending side; the app answers ``<exit code>\\n<stdout text>``, exactly what the
helper would have printed and exited with (0 and the credential's JSON, or 1 and a message
such as ``credentials not found in native keychain``), then closes. The app answers from what
it holds in memory, by the same rules as ``actions``. Anything else — no socket, a refused
connection, no answer within ``APP_SECONDS``, a malformed answer — and the helper reads the
keychain itself.
"""

import _socket
import sys
import time

# Neither os (~1.4 ms with what it imports) nor ``from __future__ import annotations``: this
# module is all a docker pull starts when the app is running (see bin/docker-credential-hubtokens).
if sys.platform != "win32":
    import posix

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Mapping

APP_SECONDS = 0.5  # the app answers from memory in well under a millisecond
SOCKET_FOLDER = "hubtokens"
SOCKET_NAME = "helper.sock"
MAX_REPLY = 64 * 1024


def socket_path(environ: "Mapping[str, str]") -> str | None:
    """Where the app listens, or None when there is no runtime folder."""
    home = environ.get("HUBTOKENS_HOME")
    if home and home.startswith("~"):
        import os.path  # rare: a shell expands ~ before it sets the variable

        home = os.path.expanduser(home)
    runtime = f"{home.rstrip('/')}/run" if home else environ.get("XDG_RUNTIME_DIR", "")
    return f"{runtime.rstrip('/')}/{SOCKET_FOLDER}/{SOCKET_NAME}" if runtime else None


def ask_app(environ: "Mapping[str, str]", server: str, deadline: float) -> tuple[int, str] | None:
    """The app's ``(exit code, stdout text)`` for ``get server``, or None to read the keychain."""
    path = socket_path(environ)
    if path is None or not hasattr(_socket, "SO_PEERCRED") or not _private_folder(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(max(0.001, min(APP_SECONDS, deadline - time.monotonic())))
        sock.connect(path)
        if peer_uid(sock) != posix.getuid():
            return None
        sock.sendall(b"get\n" + server.encode("utf-8") + b"\n")
        sock.shutdown(_socket.SHUT_WR)
        reply = _read_all(sock)
    except (OSError, UnicodeError):
        return None
    finally:
        sock.close()
    return _parse(reply)


def _private_folder(path: str) -> bool:
    try:
        st = posix.stat(path.rpartition("/")[0])
    except OSError:
        return False
    return st.st_uid == posix.getuid() and not st.st_mode & 0o077


def peer_uid(sock: _socket.socket) -> int:
    """The uid of the process at the other end of a connected AF_UNIX socket (Linux)."""
    # struct ucred { pid_t pid; uid_t uid; gid_t gid; }, in native byte order
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder)


def _read_all(sock: _socket.socket) -> bytes:
    reply = bytearray()
    while len(reply) <= MAX_REPLY:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(reply)
        reply += chunk
    raise OSError("the app's answer is too large")


def _parse(reply: bytes) -> tuple[int, str] | None:
    code, newline, text = reply.partition(b"\n")
    if not newline or code not in (b"0", b"1") or (code == b"1" and not text.strip()):
        return None
    try:
        return int(code), text.decode("utf-8")
    except UnicodeDecodeError:
        return None
