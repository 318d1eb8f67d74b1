"""A minimal D-Bus client on the standard library: just what the Secret Service calls need.

Why not jeepney: importing it costs about 35 ms here, more than the whole ``get`` of the Go
helper (about 20 ms); this module and ``dbuswire`` cost about 1 ms. It connects to the session
bus over a Unix socket, authenticates with EXTERNAL, says ``Hello`` and makes method calls;
signals and anything else that arrives is skipped.

Every socket operation of a connection shares one deadline (``time.monotonic()`` seconds), so
a bus or service that stops answering costs at most the time left, never a hang.
"""

from __future__ import annotations

import _socket
import os
import time

from hubtokens.credhelper.dbuswire import (
    ERROR,
    ERROR_NAME,
    METHOD_RETURN,
    REPLY_SERIAL,
    DBusFailure,
    Message,
    message_size,
    method_call,
    parse_message,
)

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    T = TypeVar("T")

_AUTH_LINE_MAX = 512
_MAX_MESSAGE = 1 << 20  # replies here are tiny; a larger one is a broken or hostile peer


class BusUnavailable(DBusFailure):
    """There is no session bus to talk to (no address, nobody listening, refused)."""


class DeadlineExceeded(DBusFailure):
    """The bus or the service did not answer before the deadline."""


class DBusError(DBusFailure):
    """The called service answered with a D-Bus error."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


# --- the connection --------------------------------------------------------------------------


class Connection:
    """An authenticated connection to a message bus; one caller at a time."""

    def __init__(self, sock: _socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        self._pending = bytearray()
        self._serial = 0

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        *args: Any,
    ) -> tuple[Any, ...]:
        """Call a method and return the reply's body; a D-Bus error raises ``DBusError``."""
        self._serial += 1
        serial = self._serial
        message = method_call(serial, destination, path, interface, member, signature, args)
        self._io(lambda: self._sock.sendall(message))
        while True:
            reply = self._receive()
            if reply.kind not in (METHOD_RETURN, ERROR) or reply.fields.get(REPLY_SERIAL) != serial:
                continue  # a signal (NameAcquired after Hello) or someone else's
            if reply.kind == ERROR:
                name = reply.fields.get(ERROR_NAME)
                text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
                raise DBusError(name if isinstance(name, str) else "unknown error", text)
            return reply.body

    def authenticate(self) -> None:
        """SASL EXTERNAL as our uid, then ``Hello`` (the bus wants it first)."""
        uid = str(os.getuid()).encode().hex().encode()
        self._io(lambda: self._sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n"))
        line = self._read_line()
        if not line.startswith(b"OK "):
            raise BusUnavailable("the D-Bus session bus refused to authenticate this user")
        self._io(lambda: self._sock.sendall(b"BEGIN\r\n"))
        self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")

    def _read_line(self) -> bytes:
        while b"\r\n" not in self._pending:
            if len(self._pending) > _AUTH_LINE_MAX:
                raise DBusFailure("the D-Bus session bus sent an overlong line")
            self._fill()
        line, _, rest = bytes(self._pending).partition(b"\r\n")
        self._pending = bytearray(rest)
        return line

    def _receive(self) -> Message:
        while len(self._pending) < 16:
            self._fill()
        size = message_size(bytes(self._pending[:16]))
        if size > _MAX_MESSAGE:
            raise DBusFailure(f"a D-Bus message of {size} bytes is too large")
        while len(self._pending) < size:
            self._fill()
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return parse_message(data)

    def _fill(self) -> None:
        chunk = self._io(lambda: self._sock.recv(65536))
        if not chunk:
            raise DBusFailure("the D-Bus connection was closed")
        self._pending += chunk

    def _io(self, op: Callable[[], T]) -> T:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("no answer from D-Bus in time")
        self._sock.settimeout(left)
        try:
            return op()
        except TimeoutError:
            raise DeadlineExceeded("no answer from D-Bus in time") from None
        except OSError as exc:
            raise DBusFailure(f"the D-Bus connection failed: {exc.strerror or exc}") from None


# --- addresses -------------------------------------------------------------------------------


def session_bus_paths(environ: Mapping[str, str]) -> list[str]:
    """The Unix socket paths to try (an abstract one starts with a nul), in order.

    ``DBUS_SESSION_BUS_ADDRESS`` when set, else the systemd user bus in the runtime folder.
    """
    address = environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address:
        runtime = environ.get("XDG_RUNTIME_DIR", "")
        bus = os.path.join(runtime, "bus") if runtime else ""
        return [bus] if bus and os.path.exists(bus) else []
    paths = []
    for entry in address.split(";"):
        transport, _, params = entry.partition(":")
        if transport != "unix":
            continue  # tcp and others are not for a keychain on this machine
        for pair in params.split(","):
            key, _, value = pair.partition("=")
            if key == "path":
                paths.append(_unescape(value))
            elif key == "abstract":
                paths.append("\0" + _unescape(value))
    return paths


def _unescape(value: str) -> str:
    """D-Bus address values escape bytes as ``%XX``."""
    if "%" not in value:
        return value
    out = bytearray()
    i = 0
    raw = value.encode()
    while i < len(raw):
        if raw[i] == ord("%") and i + 3 <= len(raw):
            try:
                out.append(int(raw[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode(errors="replace")


def open_session_bus(environ: Mapping[str, str], deadline: float) -> Connection:
    """Connect and authenticate to the session bus; ``BusUnavailable`` says why not."""
    paths = session_bus_paths(environ)
    if not paths:
        raise BusUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    problem = ""
    for path in paths:
        try:
            return _connect(path, deadline)
        except DeadlineExceeded:
            raise
        except DBusFailure as exc:
            problem = str(exc)
    raise BusUnavailable(f"cannot reach the D-Bus session bus: {problem}")


def _connect(path: str, deadline: float) -> Connection:
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    connection = Connection(sock, deadline)
    try:
        connection._io(lambda: sock.connect(path))
        connection.authenticate()
    except BaseException:
        sock.close()
        raise
    return connection
