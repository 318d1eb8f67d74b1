"""Shared helpers of the reliability suite: an instrumented local hub, a keychain with fault
modes, a keeper whose HTTP timeouts can be changed, and ground-truth checks on the hub.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from keyring.errors import KeyringLocked

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.urls import DESKTOP_GENERATE_PATH
from hubtokens.core.keeper import Keeper, KeeperLock
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault, vault_key
from hubtokens.localhub import HubConfig, LocalHub
from hubtokens.localhub.credentials import hash_secret
from tests.core.keeper_support import HOSTNAME, LABEL, USER
from tests.support.memory_keyring import MemoryKeyring

TOKENS = "/v2/access-tokens"
OAUTH_TOKEN = "/oauth/token"  # the sign-in service's token endpoint (both grants)
OAUTH_DEVICE = "/oauth/device/code"
_SECRET_FIELDS = {  # the secrets in the sign-in service's answers
    OAUTH_DEVICE: ("device_code",),
    OAUTH_TOKEN: ("access_token", "refresh_token", "id_token"),
}

__all__ = [
    "HOSTNAME",
    "LABEL",
    "TOKENS",
    "USER",
    "FaultyKeyring",
    "HubRequest",
    "Instrumented",
    "Timeouts",
    "keeper_for",
    "token_of_secret",
]


# --- the hub, watched ------------------------------------------------------------------------


@dataclass(frozen=True)
class HubRequest:
    """One request as the hub saw it: what was asked, at which (hub clock) time, which faults
    hit it and what it answered (0: the connection was dropped without an answer)."""

    method: str
    path: str
    status: int
    at: datetime
    faults: tuple[tuple[str, float], ...]  # (kind, value) of every fault that hit it

    def spoiled(self, read_timeout: float) -> bool:
        """True when the client did not get the hub's real answer."""
        return any(kind != "latency" or value >= read_timeout for kind, value in self.faults)


class Instrumented:
    """Wraps a LocalHub's request pipeline: every request with the faults that hit it, and a
    count of requests still being served (a request slowed by latency finishes, and takes
    effect, after the client gave up: tests wait for the hub to be idle between events)."""

    def __init__(self, hub: LocalHub) -> None:
        self.hub = hub
        self.requests: list[HubRequest] = []
        self.arrived: list[tuple[str, str]] = []  # (method, path) as each request comes in
        # Every secret the hub's sign-in service and desktop-generate handed out, by kind
        # ("device_code", "access_token", "refresh_token", "id_token", "auto token"): for
        # the secret scans.
        self.handed_out: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self._local = threading.local()
        app = hub._app
        plan = hub._faults
        draw, handle = plan.draw, app.handle

        def drawing(method: str, path: str) -> Any:
            hits = draw(method, path)
            self._local.hits = tuple((f.kind, f.value) for f in hits)
            return hits

        def handling(request: Any) -> Any:
            with self._lock:
                self._in_flight += 1
                self.arrived.append((request.method, request.path))
            at = hub.config.clock()
            self._local.hits = ()
            try:
                reply = handle(request)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._idle.notify_all()
            status = 0 if reply.delivery == "drop" else reply.status
            self._note_secrets(request.path, status, reply.body)
            entry = HubRequest(request.method, request.path, status, at, self._local.hits)
            with self._lock:
                self.requests.append(entry)
            return reply

        plan.draw = drawing  # type: ignore[method-assign]
        app.handle = handling  # type: ignore[method-assign]

    def _note_secrets(self, path: str, status: int, body: bytes) -> None:
        if status not in (200, 201):
            return
        if path == DESKTOP_GENERATE_PATH:
            found = {"auto token": json.loads(body)["data"]["token"]}
        elif path in _SECRET_FIELDS:
            answer = json.loads(body)
            found = {k: answer[k] for k in _SECRET_FIELDS[path] if answer.get(k)}
        else:
            return
        with self._lock:
            for kind, secret in found.items():
                self.handed_out.setdefault(kind, []).append(secret)

    def wait_idle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the hub is still serving requests")
                self._idle.wait(left)

    def since(self, mark: int) -> list[HubRequest]:
        with self._lock:
            return self.requests[mark:]

    def mark(self) -> int:
        with self._lock:
            return len(self.requests)

    def creates(self) -> list[HubRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == TOKENS]


def ours(hub: LocalHub, label: str = LABEL, user: str = USER) -> list[dict[str, Any]]:
    return [t for t in hub.tokens(user) if t["token_label"] == label]


def token_of_secret(hub: LocalHub, secret: str | None) -> str | None:
    """The uuid of the hub's token whose secret this is (None: no such token any more)."""
    if not secret:
        return None
    row = hub._store.token_by_secret_hash(hash_secret(secret))
    return None if row is None else row.uuid


@contextmanager
def polled_hub(
    alice_password: str, clock: Callable[[], datetime] | None = None
) -> Iterator[LocalHub]:
    """A started local hub with alice whose device sign-ins are polled every second instead of
    five (tests wait for the approvals); on the real clock unless ``clock`` is given."""
    config = HubConfig(seed=0, device_poll_interval=timedelta(seconds=1))
    with LocalHub(config if clock is None else replace(config, clock=clock)) as hub:
        hub.add_user("alice", alice_password)
        yield hub


# --- the keychain, with faults ---------------------------------------------------------------

KEYCHAIN_MODES = ("ok", "locked", "broken", "hangs", "write-fails", "write-hangs")


class FaultyKeyring(MemoryKeyring):
    """The memory keyring with the keychain failures the issue lists: locked, unavailable
    (broken), not answering (hangs, until released), and failing or hanging on write only
    (a write after the hub created the token)."""

    def __init__(self) -> None:
        super().__init__()
        self.mode = "ok"
        self._writes_open = threading.Event()
        self._writes_open.set()

    def set_mode(self, mode: str) -> None:
        assert mode in KEYCHAIN_MODES, mode
        self.mode = mode
        self.fail_with(
            KeyringLocked("the keychain is locked")
            if mode == "locked"
            else RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")
            if mode == "broken"
            else None
        )
        if mode == "hangs":
            self.hold()
        else:
            self.release()
        if mode == "write-hangs":
            self._writes_open.clear()
        else:
            self._writes_open.set()

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.mode == "write-fails":
            self._enter()
            raise RuntimeError("the keychain refused the write")
        if self.mode == "write-hangs":
            self._enter()
            self._writes_open.wait()
        super().set_password(service, username, password)

    def item(self, kind: str, hub_url: str, user: str = USER) -> str | None:
        return self.items.get(("hubtokens", vault_key(kind, hub_url, user)))

    def drop(self, kind: str, hub_url: str, user: str = USER) -> None:
        self.items.pop(("hubtokens", vault_key(kind, hub_url, user)), None)


MemoryKeyring._classes.discard(FaultyKeyring)  # never a candidate for keyring discovery


# --- the keeper ------------------------------------------------------------------------------


@dataclass
class Timeouts:
    """The HTTP timeouts of the keeper's clients, changeable between reconciles."""

    connect: float = 1.0
    read: float = 2.0

    def pair(self) -> tuple[float, float]:
        return (self.connect, self.read)


def keeper_for(
    folder: Path,
    vault: Vault,
    clock: Callable[[], datetime],
    timeouts: Timeouts,
    *,
    hostname: str = HOSTNAME,
) -> Keeper:
    return Keeper(
        client_for=lambda url: HubClient(url, timeout=timeouts.pair(), clock=clock),
        vault=vault,
        settings=SettingsStore(folder / "settings.json"),
        lock=KeeperLock(folder / "keeper.lock", timeout=10),
        clock=clock,
        hostname=hostname,
    )
