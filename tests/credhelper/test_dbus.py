"""The minimal D-Bus client: its wire format (checked against jeepney) and a real bus."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jeepney import DBusAddress, new_method_call
from jeepney.low_level import Endianness, Header, HeaderFields, Message, MessageType

from hubtokens.credhelper import dbus, dbuswire
from tests.fixtures.keychain import SecretService

# Values for the signatures the Secret Service calls use, shaped as both libraries shape them.
names = st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"]), max_size=20)
paths = st.lists(st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True), max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)
secret_struct = st.tuples(paths, st.binary(max_size=8), st.binary(max_size=40), names)
CASES: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "a{ss}": st.tuples(st.dictionaries(names, names, max_size=4)),
    "aoao": st.tuples(st.lists(paths, max_size=3), st.lists(paths, max_size=3)),
    "sv": st.tuples(names, st.tuples(st.just("s"), names)),
    "vo": st.tuples(st.tuples(st.just("ay"), st.binary(max_size=10)), paths),
    "aoo": st.tuples(st.lists(paths, max_size=3), paths),
    "a{o(oayays)}": st.tuples(st.dictionaries(paths, secret_struct, max_size=3)),
    "a{sv}(oayays)b": st.tuples(
        st.dictionaries(names, st.tuples(st.just("a{ss}"), st.dictionaries(names, names))),
        secret_struct,
        st.booleans(),
    ),
    "yqutxni": st.tuples(
        st.integers(0, 255),
        st.integers(0, 2**16 - 1),
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**64 - 1),
        st.integers(-(2**63), 2**63 - 1),
        st.integers(-(2**15), 2**15 - 1),
        st.integers(-(2**31), 2**31 - 1),
    ),
}
ADDRESS = DBusAddress("/org/example/Thing", bus_name="org.example", interface="org.example.I")


@pytest.mark.parametrize("signature", list(CASES))
@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data())
def test_what_we_send_is_what_jeepney_reads(signature: str, data: st.DataObject) -> None:
    body = data.draw(CASES[signature])
    wire = dbuswire.method_call(
        7, "org.example", ADDRESS.object_path, "org.example.I", "Do", signature, body
    )
    message = Message.from_buffer(wire)
    assert message.header.serial == 7
    assert message.header.fields[HeaderFields.member] == "Do"
    assert message.header.fields[HeaderFields.destination] == "org.example"
    assert message.header.fields[HeaderFields.path] == ADDRESS.object_path
    assert message.header.fields.get(HeaderFields.signature, "") == signature
    assert jeepney_shaped(message.body) == jeepney_shaped(body)


@pytest.mark.parametrize("signature", list(CASES))
@pytest.mark.parametrize("endianness", [Endianness.little, Endianness.big])
@settings(max_examples=40, deadline=None, database=None)
@given(data=st.data())
def test_what_jeepney_sends_is_what_we_read(
    signature: str, endianness: Endianness, data: st.DataObject
) -> None:
    body = data.draw(CASES[signature])
    header = Header(
        endianness,
        MessageType.method_return,
        0,
        1,
        -1,
        -1,
        {HeaderFields.reply_serial: 3, HeaderFields.signature: signature},
    )
    wire = Message(header, body).serialise(serial=9)
    assert dbuswire.message_size(wire[:16]) == len(wire)
    parsed = dbuswire.parse_message(wire)
    assert parsed.kind == dbuswire.METHOD_RETURN
    assert parsed.fields[dbuswire.REPLY_SERIAL] == 3
    assert jeepney_shaped(parsed.body) == jeepney_shaped(body)


def jeepney_shaped(value: Any) -> Any:
    """Lists and tuples compare alike: jeepney reads arrays as lists, we write from tuples."""
    if isinstance(value, list | tuple):
        return tuple(jeepney_shaped(v) for v in value)
    if isinstance(value, dict):
        return {k: jeepney_shaped(v) for k, v in value.items()}
    return value


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_garbage_on_the_wire_is_a_clean_failure(data: bytes) -> None:
    wire = b"l\x02\x00\x01" + data
    with contextlib.suppress(dbuswire.DBusFailure):
        dbuswire.parse_message(wire)


def test_jeepney_reads_our_hello() -> None:
    wire = dbuswire.method_call(
        1, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello"
    )
    expected = new_method_call(
        DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"),
        "Hello",
    )
    assert Message.from_buffer(wire).body == expected.body == ()


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("unix:path=/run/user/1000/bus", ["/run/user/1000/bus"]),
        ("unix:path=/tmp/a%2cb%20c,guid=0123", ["/tmp/a,b c"]),
        ("unix:abstract=/tmp/dbus-x,guid=1", ["\0/tmp/dbus-x"]),
        ("tcp:host=localhost,port=1;unix:path=/b", ["/b"]),
        ("unix:path=/a;unix:path=/b", ["/a", "/b"]),
        ("unix:path=/bad%zz", ["/bad%zz"]),
        ("nonsense", []),
    ],
)
def test_session_bus_addresses(address: str, expected: list[str]) -> None:
    assert dbus.session_bus_paths({"DBUS_SESSION_BUS_ADDRESS": address}) == expected


def test_without_an_address_the_user_bus_in_the_runtime_folder(tmp_path: Any) -> None:
    assert dbus.session_bus_paths({"XDG_RUNTIME_DIR": str(tmp_path)}) == []
    (tmp_path / "bus").touch()
    assert dbus.session_bus_paths({"XDG_RUNTIME_DIR": str(tmp_path)}) == [str(tmp_path / "bus")]
    assert dbus.session_bus_paths({}) == []


# --- a real bus ------------------------------------------------------------------------------


@pytest.mark.secret_service
def test_calls_and_errors_on_a_real_bus(secret_service: SecretService) -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": secret_service.address}
    with dbus.open_session_bus(env, time.monotonic() + 5) as bus:
        (owned,) = bus.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            "org.freedesktop.secrets",
        )
        assert owned is True
        with pytest.raises(dbus.DBusError) as failed:
            bus.call("org.freedesktop.DBus", "/", "org.freedesktop.DBus", "NoSuchMethod")
        assert failed.value.name == "org.freedesktop.DBus.Error.UnknownMethod"


@pytest.mark.secret_service
def test_a_frozen_service_costs_the_deadline_and_no_more(secret_service: SecretService) -> None:
    secret_service.restore()
    env = {"DBUS_SESSION_BUS_ADDRESS": secret_service.address}
    with dbus.open_session_bus(env, time.monotonic() + 0.5) as bus, secret_service.frozen():
        started = time.monotonic()
        with pytest.raises(dbus.DeadlineExceeded):
            bus.call(
                "org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service",
                "ReadAlias",
                "s",
                "default",
            )
        assert time.monotonic() - started < 0.8
