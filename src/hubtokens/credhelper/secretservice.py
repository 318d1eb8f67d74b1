"""The app's keychain items on the Secret Service (gnome-keyring, KWallet, KeePassXC).

Items are found by the attributes ``service`` and ``username`` (keyring's default scheme,
which the vault enforces); new ones get keyring's ``application`` attribute and label too, so
keyring and the app treat them as their own. Secrets travel in a ``plain`` session over the
private session bus, as the vault's own reads do.

Never a prompt: a locked item or collection is reported (``KeychainLocked``), never unlocked.
Never a hang: every call shares the helper's deadline. The bus is opened on first use, so an
answer that needs no secret never touches D-Bus.

gnome-keyring may answer the first call of a new connection before it has registered the
connection as a client: it does that in an idle callback (``service_message_filter`` in
``gkd-secret-service.c``) that its main loop can run after the call when other clients keep it
busy. It then logs ``assertion 'client' failed`` and answers ``SearchItems`` with
``UnknownMethod`` ("Method SearchItems is not implemented") and ``ReadAlias`` with ``/``.
Once it has answered one call it knows the connection, so the first call, always a read
(``_first_read``), is asked once more on such an answer; nothing that changes the keychain is
ever repeated.
"""

from __future__ import annotations

from hubtokens.credhelper.dbus import (
    BusUnavailable,
    Connection,
    DBusError,
    DeadlineExceeded,
    open_session_bus,
)
from hubtokens.credhelper.dbuswire import DBusFailure
from hubtokens.credhelper.errors import HelperError, KeychainLocked
from hubtokens.credhelper.keychain import SERVICE, item_label

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
_SERVICE = "org.freedesktop.Secret.Service"
_COLLECTION = "org.freedesktop.Secret.Collection"
_ITEM = "org.freedesktop.Secret.Item"
_PROPERTIES = "org.freedesktop.DBus.Properties"
_APPLICATION = "Python keyring library"  # what keyring's SecretService backend writes
_NO_PROMPT = "/"
_NO_OBJECT = "/"
_UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
_LOCKED_ERROR = "org.freedesktop.Secret.Error.IsLocked"
# "Nobody provides the Secret Service", as opposed to a failure of the one that does.
_ABSENT_ERRORS = frozenset(
    "org.freedesktop.DBus.Error." + name
    for name in ("ServiceUnknown", "NameHasNoOwner", "NoReply", "Disconnected", "NoServer")
)
_FIX = "install and unlock gnome-keyring or KWallet; without a desktop, run them inside dbus-run-session"
_MAX_DETAIL = 200


class SecretServiceKeychain:
    """``find``/``put``/``delete`` of one item by key, within one deadline."""

    def __init__(self, environ: Mapping[str, str], deadline: float, seconds: float) -> None:
        self._environ = environ
        self._deadline = deadline
        self._seconds = seconds
        self._bus: Connection | None = None

    def find(self, key: str) -> str | None:
        """The secret of the item, None when there is none; a locked one raises."""
        unlocked = self._search(key)
        if not unlocked:
            return None
        (secrets,) = self._call(
            SERVICE_PATH, _SERVICE, "GetSecrets", "aoo", unlocked[:1], self._session()
        )
        try:
            _session, _params, value, _content_type = secrets[unlocked[0]]
            return bytes(value).decode("utf-8")
        except (KeyError, TypeError, ValueError):
            raise HelperError("the keychain item of this credential is not readable text") from None

    def put(self, key: str, secret: str) -> None:
        """Create or replace the item in the default collection."""
        (collection,) = self._first_read("ReadAlias", "s", "default")
        if not isinstance(collection, str) or collection == _NO_OBJECT:
            raise HelperError(f"the keychain has no default keyring to store in: {_FIX}")
        ((_, locked),) = self._call(collection, _PROPERTIES, "Get", "ss", _COLLECTION, "Locked")
        if locked:
            raise KeychainLocked()
        attributes = {"application": _APPLICATION, "service": SERVICE, "username": key}
        properties = {
            f"{_ITEM}.Label": ("s", item_label(key)),
            f"{_ITEM}.Attributes": ("a{ss}", attributes),
        }
        value = (self._session(), b"", secret.encode("utf-8"), "text/plain")
        item, _prompt = self._call(
            collection, _COLLECTION, "CreateItem", "a{sv}(oayays)b", properties, value, True
        )
        if item == _NO_PROMPT:  # the service wants to prompt: locked after all
            raise KeychainLocked()

    def delete(self, key: str) -> None:
        """Delete the item (every copy of it); no item is not an error."""
        for item in self._search(key):
            (prompt,) = self._call(item, _ITEM, "Delete")
            if prompt != _NO_PROMPT:
                raise KeychainLocked()

    def close(self) -> None:
        if self._bus is not None:
            self._bus.close()
            self._bus = None

    # --- D-Bus ---------------------------------------------------------------------------

    def _search(self, key: str) -> list[str]:
        """The unlocked items with this key; raises when only locked ones exist."""
        unlocked, locked = self._first_read(
            "SearchItems", "a{ss}", {"service": SERVICE, "username": key}
        )
        if not unlocked and locked:
            raise KeychainLocked()
        return [str(item) for item in unlocked]

    def _session(self) -> str:
        _output, session = self._call(
            SERVICE_PATH, _SERVICE, "OpenSession", "sv", "plain", ("s", "")
        )
        return str(session)

    def _first_read(self, member: str, signature: str, arg: Any) -> tuple[Any, ...]:
        """A read-only method of the service, asked once more when it was the connection's
        first call and gnome-keyring answered it without knowing the connection yet (see the
        module docstring); the normal path costs nothing more."""
        first = self._bus is None
        try:
            reply = self._send(SERVICE_PATH, _SERVICE, member, signature, arg)
            if not (first and reply == (_NO_OBJECT,)):
                return reply
        except DBusError as exc:
            if not (first and exc.name == _UNKNOWN_METHOD):
                raise self._explain(exc) from None
        except DBusFailure as exc:
            raise self._explain(exc) from None
        return self._call(SERVICE_PATH, _SERVICE, member, signature, arg)

    def _call(
        self, path: str, interface: str, member: str, signature: str = "", *args: Any
    ) -> tuple[Any, ...]:
        try:
            return self._send(path, interface, member, signature, *args)
        except DBusFailure as exc:
            raise self._explain(exc) from None

    def _send(
        self, path: str, interface: str, member: str, signature: str = "", *args: Any
    ) -> tuple[Any, ...]:
        if self._bus is None:
            self._bus = open_session_bus(self._environ, self._deadline)
        return self._bus.call(BUS_NAME, path, interface, member, signature, *args)

    def _explain(self, exc: DBusFailure) -> HelperError:
        if isinstance(exc, DeadlineExceeded):
            return HelperError(
                f"the keychain did not answer within {self._seconds:g} s: if an unlock prompt "
                "is open, answer it; otherwise restart the keychain service"
            )
        if isinstance(exc, BusUnavailable):
            return HelperError(f"no keychain: {exc}; {_FIX}")
        if isinstance(exc, DBusError) and exc.name == _LOCKED_ERROR:
            return KeychainLocked()
        if isinstance(exc, DBusError) and (
            exc.name in _ABSENT_ERRORS or exc.name.startswith("org.freedesktop.DBus.Error.Spawn")
        ):
            return HelperError(f"no keychain: no Secret Service is running; {_FIX}")
        detail = " ".join(str(exc).split())
        return HelperError(f"the keychain failed: {detail[:_MAX_DETAIL]}")
