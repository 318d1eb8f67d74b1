"""Helpers shared by the keeper tests: build a keeper over a real local hub, count its tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper, KeeperLock
from hubtokens.core.labels import auto_label
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault, vault_key
from hubtokens.localhub import LocalHub
from tests.support.memory_keyring import MemoryKeyring

HOSTNAME = "testhost"
LABEL = auto_label(HOSTNAME)
USER = "alice"
TOKENS = "/v2/access-tokens"


class SwitchableKeyring(MemoryKeyring):
    """The memory keyring, plus switches that make writes fail: before storing (``set_error``)
    or right after (``error_after_set``, as a process killed just after its keychain write);
    ``failing_item``, when set, limits both to the writes of that item (a ``vault_key``)."""

    def __init__(self) -> None:
        super().__init__()
        self.set_error: BaseException | None = None
        self.error_after_set: BaseException | None = None
        self.failing_item: str | None = None

    def set_password(self, service: str, username: str, password: str) -> None:
        switched = self.failing_item in (None, username)
        if self.set_error is not None and switched:
            self._enter()
            raise self.set_error
        super().set_password(service, username, password)
        if self.error_after_set is not None and switched:
            raise self.error_after_set


# Like MemoryKeyring, keep the double out of keyring's backend discovery.
MemoryKeyring._classes.discard(SwitchableKeyring)


def make_keeper(
    tmp_path: Path,
    vault: Vault,
    clock: Callable[[], datetime],
    *,
    hostname: str = HOSTNAME,
    timeout: tuple[float, float] = (1, 2),
) -> Keeper:
    return Keeper(
        client_for=lambda url: HubClient(url, timeout=timeout, clock=clock),
        vault=vault,
        settings=SettingsStore(tmp_path / "settings.json"),
        lock=KeeperLock(tmp_path / "keeper.lock", timeout=10),
        clock=clock,
        hostname=hostname,
    )


def ours(hub: LocalHub, label: str = LABEL, user: str = USER) -> list[dict[str, Any]]:
    """The tokens on the hub that carry our auto label."""
    return [t for t in hub.tokens(user) if t["token_label"] == label]


def only_ours(hub: LocalHub) -> dict[str, Any]:
    tokens = ours(hub)
    assert len(tokens) == 1, f"expected exactly one auto token, found {len(tokens)}"
    return tokens[0]


def creates(hub: LocalHub) -> list[tuple[str, str, int]]:
    """Every token-creation request the hub saw (whatever it answered)."""
    return [e for e in hub.request_log if e[0] == "POST" and e[1] == TOKENS]


def keychain_item(keyring: MemoryKeyring, kind: str, hub_url: str, user: str = USER) -> str | None:
    return keyring.items.get(("hubtokens", vault_key(kind, hub_url, user)))


def drop_keychain_item(keyring: MemoryKeyring, kind: str, hub_url: str, user: str = USER) -> None:
    keyring.items.pop(("hubtokens", vault_key(kind, hub_url, user)), None)


def totp_code(secret_b32: str, when: datetime, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1), computed independently of localhub's implementation."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int(when.timestamp()) // step
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def recorded_uuid(keeper: Keeper, hub_url: str) -> str | None:
    """The auto token the keeper's settings name (asserting it is still signed in)."""
    record = keeper.account(hub_url)
    assert record is not None, "the keeper signed itself out"
    return None if record.auto_token is None else record.auto_token.uuid


def recorded_token(keeper: Keeper, hub: LocalHub) -> dict[str, Any] | None:
    """That token as the hub lists it, or None when the hub no longer has it."""
    uuid = recorded_uuid(keeper, hub.url)
    return next((t for t in hub.tokens(USER) if t["uuid"] == uuid), None)


HUB_CHANGES = ("delete", "deactivate", "activate", "expire")


def change_on_the_hub(
    hub: LocalHub, kind: str, token: dict[str, Any] | None, now: datetime
) -> None:
    """What a person does to the auto token on the hub, in the random stories of the keeper
    property and the reliability faults: delete it (the recorded one, else any with our
    label), (de)activate it or let it expire. A change to no recorded token does nothing."""
    if kind == "delete":
        for target in [token] if token is not None else ours(hub)[:1]:
            hub.delete_token(target["uuid"])
    elif kind in ("deactivate", "activate") and token is not None:
        hub.set_token_active(token["uuid"], kind == "activate")
    elif kind == "expire" and token is not None:
        hub.set_token_expiry(token["uuid"], now)
