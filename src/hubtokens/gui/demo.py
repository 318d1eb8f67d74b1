"""``--demo``: the whole app against a local Hub with the demo account, in a throwaway sandbox.

The hub runs in this process on a free loopback port, with its data in memory. Settings go to
a temporary folder and the demo's secrets to an in-memory keychain: the demo hub's tokens are
worthless once it stops, so nothing of the demo is left in the person's keychain or settings.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from hubtokens.localhub import DemoAccount, HubConfig, LocalHub


class DemoKeychain(KeyringBackend):
    """The demo's keychain: a dict that lives as long as the process."""

    priority = 1  # what the vault asks of a real keychain; only ever handed to it directly

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring is untyped
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise PasswordDeleteError("no such item")


# keyring registers every backend class for discovery: keep this one out of it, so it can
# never stand in for a real keychain outside the demo.
KeyringBackend._classes.discard(DemoKeychain)


class DemoSandbox:
    def __init__(self) -> None:
        self._home = tempfile.TemporaryDirectory(prefix="hubtokens-demo-")
        self.home = Path(self._home.name)
        self.keychain = DemoKeychain()
        # Polled every second: the demo signs in through the browser's flow at start.
        self.hub = LocalHub(HubConfig(device_poll_interval=timedelta(seconds=1))).start()
        self.account: DemoAccount = self.hub.seed_demo()

    def approve(self, user_code: str) -> None:
        """Approve a device's sign-in as the demo account, as a person would at /activate."""
        self.hub.decide_device(user_code, self.account.username)

    def close(self) -> None:
        self.hub.stop()
        self._home.cleanup()
