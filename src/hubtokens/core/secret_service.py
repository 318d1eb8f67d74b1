"""keyring's Secret Service backend, whose D-Bus connections never start with a property read.

gnome-keyring registers a new connection as its client in an idle callback that, when other
clients keep it busy, can run after the connection's first call. A method call then gets a wrong
answer (the credential helper asks it again: ``credhelper/secretservice.py``), but a property
read aborts gnome-keyring itself (GLib's ``invoke_get_property_in_idle_cb`` assertion), taking
every program's secrets with it: seen under load in this project's reliability run and stress
script. secretstorage's ``Collection()`` starts with a property read, so every connection
opened here first asks ``ReadAlias``, whatever it answers: once answered, the connection is
known. Imported only where keyring is (on the vault's worker), never by the helper.
"""

from __future__ import annotations

import secretstorage
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import DBusConnection
from keyring.backend import KeyringBackend
from keyring.backends import SecretService
from keyring.errors import InitError, KeyringLocked
from secretstorage.collection import Collection

_SERVICE = DBusAddress(
    "/org/freedesktop/secrets",
    bus_name="org.freedesktop.secrets",
    interface="org.freedesktop.Secret.Service",
)


def open_connection() -> DBusConnection:
    """A session-bus connection that the Secret Service already knows."""
    return introduce(secretstorage.dbus_init())


def introduce(connection: DBusConnection) -> DBusConnection:
    """Make a method call the connection's first call to the Secret Service."""
    # Its answer (even an error: no service, the race itself) is not needed, only given.
    connection.send_and_get_reply(new_method_call(_SERVICE, "ReadAlias", "s", ("default",)))
    return connection


class Keyring(SecretService.Keyring):
    """keyring's backend, as is, but for the connection each call opens (see above)."""

    def get_preferred_collection(self) -> Collection:
        # keyring's own method, with open_connection() in place of secretstorage.dbus_init().
        bus = open_connection()
        try:
            if hasattr(self, "preferred_collection"):
                collection = Collection(bus, self.preferred_collection)
            else:
                collection = secretstorage.get_default_collection(bus)
        except secretstorage.exceptions.SecretStorageException as exc:
            raise InitError(f"Failed to create the collection: {exc}.") from exc
        if collection.is_locked():
            collection.unlock()
            if collection.is_locked():  # the person dismissed the prompt
                raise KeyringLocked("Failed to unlock the collection!")
        return collection


# keyring registers every backend class for its own choice; this one is only ever made here.
KeyringBackend._classes.discard(Keyring)


def introduced(backend: KeyringBackend) -> Keyring:
    """``backend`` (keyring's Secret Service backend), with its settings, as ``Keyring``."""
    ours: Keyring = Keyring.__new__(Keyring)
    vars(ours).update(vars(backend))
    return ours
