"""The D-Bus wire format ("Message Protocol" of the D-Bus specification), for ``dbus``.

It marshals the basic types except ``d`` and ``h``, arrays, structs, dict entries and variants;
a variant is written from, and read into, a ``(signature, value)`` pair. Messages are written
little-endian and read in either byte order. Anything malformed raises ``DBusFailure``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

METHOD_CALL, METHOD_RETURN, ERROR = 1, 2, 3  # message types
# header field codes
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION = 1, 2, 3, 4, 5, 6
SIGNATURE = 8

# code: (size, signed) for the fixed-size integer types ("b" is a 32-bit 0/1)
_FIXED = {
    "y": (1, False),
    "b": (4, False),
    "n": (2, True),
    "q": (2, False),
    "i": (4, True),
    "u": (4, False),
    "x": (8, True),
    "t": (8, False),
}
_ALIGN = {**{c: size for c, (size, _) in _FIXED.items()}, "s": 4, "o": 4, "g": 1, "v": 1}
_ALIGN.update({"a": 4, "(": 8, "{": 8})


class DBusFailure(Exception):
    """The conversation with the bus broke down."""


# --- marshalling -----------------------------------------------------------------------------


def _type_end(sig: str, i: int) -> int:
    """The index just past the single complete type that starts at ``sig[i]``."""
    code = sig[i]
    if code == "a":
        return _type_end(sig, i + 1)
    if code in "({":
        close = ")" if code == "(" else "}"
        i += 1
        while sig[i] != close:
            i = _type_end(sig, i)
        return i + 1
    if code in _ALIGN:
        return i + 1
    raise DBusFailure(f"unsupported D-Bus type code {code!r}")


class _Writer:
    def __init__(self) -> None:
        self.buf = bytearray()

    def pad(self, size: int) -> None:
        self.buf += bytes(-len(self.buf) % size)

    def uint(self, value: int, size: int, signed: bool = False) -> None:
        self.pad(size)
        self.buf += value.to_bytes(size, "little", signed=signed)

    def string(self, value: str, length_size: int = 4) -> None:
        data = value.encode()
        if length_size == 1:
            self.buf.append(len(data))
        else:
            self.uint(len(data), 4)
        self.buf += data + b"\0"

    def values(self, sig: str, values: Sequence[Any]) -> None:
        i = 0
        for value in values:
            i = self.value(sig, i, value)
        if i != len(sig):
            raise ValueError(f"{len(values)} values do not fill the signature {sig!r}")

    def value(self, sig: str, i: int, value: Any) -> int:
        code = sig[i]
        if code in _FIXED:
            size, signed = _FIXED[code]
            self.uint(int(value), size, signed)
        elif code in "so":
            self.string(_str(value))
        elif code == "g":
            self.string(_str(value), length_size=1)
        elif code == "v":
            inner_sig, inner = value
            self.string(inner_sig, length_size=1)
            if self.value(inner_sig, 0, inner) != len(inner_sig):
                raise ValueError(f"a variant holds one complete type, not {inner_sig!r}")
        elif code == "a":
            self.array(sig, i, value)
        elif code == "(":
            self.pad(8)
            j = i + 1
            for item in value:
                j = self.value(sig, j, item)
            if sig[j] != ")":
                raise ValueError(f"too few struct fields for {sig[i:]!r}")
        else:
            raise DBusFailure(f"unsupported D-Bus type code {code!r}")
        return _type_end(sig, i)

    def array(self, sig: str, i: int, value: Any) -> None:
        self.uint(0, 4)
        length_at = len(self.buf) - 4
        element = sig[i + 1]
        self.pad(_ALIGN[element])
        start = len(self.buf)
        if element == "y":
            self.buf += bytes(value)
        elif element == "{":
            for key, item in value.items():
                self.pad(8)
                self.value(sig, self.value(sig, i + 2, key), item)
        else:
            for item in value:
                self.value(sig, i + 1, item)
        self.buf[length_at : length_at + 4] = (len(self.buf) - start).to_bytes(4, "little")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


class _Reader:
    """Reads values from ``data``; positions count from the start of the message."""

    def __init__(self, data: bytes, order: str, pos: int) -> None:
        self.data = data
        self.order: Any = order  # "little" or "big"
        self.pos = pos

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise DBusFailure("truncated D-Bus message")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def align(self, size: int) -> None:
        self.take(-self.pos % size)

    def uint(self, size: int, signed: bool = False) -> int:
        self.align(size)
        return int.from_bytes(self.take(size), self.order, signed=signed)

    def string(self, length_size: int = 4) -> str:
        size = self.take(1)[0] if length_size == 1 else self.uint(4)
        text = self.take(size + 1)
        if text[-1] != 0:
            raise DBusFailure("a D-Bus string is not nul-terminated")
        return text[:-1].decode()

    def values(self, sig: str) -> tuple[Any, ...]:
        out = []
        i = 0
        while i < len(sig):
            value, i = self.value(sig, i)
            out.append(value)
        return tuple(out)

    def value(self, sig: str, i: int) -> tuple[Any, int]:
        code = sig[i]
        if code in _FIXED:
            size, signed = _FIXED[code]
            number = self.uint(size, signed)
            return (bool(number) if code == "b" else number), i + 1
        if code in "so":
            return self.string(), i + 1
        if code == "g":
            return self.string(length_size=1), i + 1
        if code == "v":
            inner_sig = self.string(length_size=1)
            inner, end = self.value(inner_sig, 0)
            if end != len(inner_sig):
                raise DBusFailure("a D-Bus variant holds more than one type")
            return (inner_sig, inner), i + 1
        if code == "a":
            return self.array(sig, i), _type_end(sig, i)
        if code == "(":
            self.align(8)
            fields = []
            j = i + 1
            while sig[j] != ")":
                field, j = self.value(sig, j)
                fields.append(field)
            return tuple(fields), j + 1
        raise DBusFailure(f"unsupported D-Bus type code {code!r}")

    def array(self, sig: str, i: int) -> Any:
        size = self.uint(4)
        element = sig[i + 1]
        self.align(_ALIGN[element])
        end = self.pos + size
        if end > len(self.data):
            raise DBusFailure("truncated D-Bus array")
        if element == "y":
            return self.take(size)
        entries = []
        while self.pos < end:
            start = self.pos
            if element == "{":
                self.align(8)
                key, j = self.value(sig, i + 2)
                entries.append((key, self.value(sig, j)[0]))
            else:
                entries.append(self.value(sig, i + 1)[0])
            if self.pos == start:  # an element of no size would never end
                raise DBusFailure("malformed D-Bus array")
        return dict(entries) if element == "{" else entries


# --- messages --------------------------------------------------------------------------------


def method_call(
    serial: int,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    args: Sequence[object] = (),
) -> bytes:
    """One METHOD_CALL message, little-endian."""
    body = _Writer()
    body.values(signature, args)
    fields: list[tuple[int, tuple[str, str]]] = [
        (PATH, ("o", path)),
        (INTERFACE, ("s", interface)),
        (MEMBER, ("s", member)),
        (DESTINATION, ("s", destination)),
    ]
    if signature:
        fields.append((SIGNATURE, ("g", signature)))
    header = _Writer()
    header.buf += b"l" + bytes((METHOD_CALL, 0, 1))
    header.uint(len(body.buf), 4)
    header.uint(serial, 4)
    header.value("a(yv)", 0, fields)
    header.pad(8)
    return bytes(header.buf + body.buf)


class Message:
    """A received message: its type, header fields and body."""

    __slots__ = ("body", "fields", "kind")

    def __init__(self, kind: int, fields: dict[int, Any], body: tuple[Any, ...]) -> None:
        self.kind = kind
        self.fields = fields
        self.body = body


def message_size(head: bytes) -> int:
    """The whole size of a message from its first 16 bytes."""
    order: Any = _order(head)
    body = int.from_bytes(head[4:8], order)
    fields = int.from_bytes(head[12:16], order)
    return 16 + fields + (-(16 + fields) % 8) + body


def parse_message(data: bytes) -> Message:
    """Parse one complete message (as sized by ``message_size``)."""
    try:
        reader = _Reader(data, _order(data), 12)
        raw_fields, _ = reader.value("a(yv)", 0)
        fields = {code: value[1] for code, value in raw_fields}
        reader.align(8)
        signature = fields.get(SIGNATURE, "")
        body = reader.values(signature) if isinstance(signature, str) else ()
    except (IndexError, KeyError, TypeError, ValueError, RecursionError) as exc:  # malformed
        raise DBusFailure(f"malformed D-Bus message: {type(exc).__name__}") from None
    return Message(data[1], fields, body)


def _order(data: bytes) -> str:
    if data[:1] == b"l":
        return "little"
    if data[:1] == b"B":
        return "big"
    raise DBusFailure("a D-Bus message with an unknown byte order")
