"""An in-memory keyring backend for fast vault tests, with switches for hangs and failures.

It is a test double: its priority of 1 is what lets ``Vault`` accept it as "secure".
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """A dict keyed by (service, username)."""

    priority: float = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.calls = 0
        self._open = threading.Event()
        self._open.set()
        self.entered = threading.Event()  # set when a call reaches the backend
        self._error: Exception | None = None

    # --- switches ----------------------------------------------------------------------------

    def hold(self) -> None:
        """Make every call block (as a frozen keychain daemon does) until release()."""
        self.entered.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def fail_with(self, error: Exception | None) -> None:
        """Make every call raise ``error`` (None: behave again)."""
        self._error = error

    # --- KeyringBackend ----------------------------------------------------------------------

    def _enter(self) -> None:
        self.calls += 1
        self.entered.set()
        self._open.wait()
        if self._error is not None:
            raise self._error

    def get_password(self, service: str, username: str) -> str | None:
        self._enter()
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._enter()
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._enter()
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password!")


# keyring registers every backend class for discovery; keep this double out of
# keyring.get_keyring() so it never stands in for a real keychain elsewhere in the suite.
KeyringBackend._classes.discard(MemoryKeyring)
