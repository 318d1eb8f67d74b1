"""Device authorization grants (RFC 8628) waiting for a person to approve them, in memory:
they live 15 minutes, so a restart of the hub only costs a new code."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from hubtokens.localhub.credentials import hash_secret
from hubtokens.localhub.oauth.errors import OAuthError
from hubtokens.localhub.oauth.user_codes import new_user_code


class GrantState(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    ISSUED = "issued"  # the tokens went out: the device code is spent


@dataclass(frozen=True)
class DeviceGrant:
    user_code: str
    client_id: str
    scope: str
    user_agent: str  # of the device's request, shown on the approval page
    expires_at: datetime
    state: GrantState = GrantState.PENDING
    user_uuid: str | None = None  # who approved
    last_poll: datetime | None = None


class DeviceGrants:
    def __init__(
        self, clock: Callable[[], datetime], lifetime: timedelta, interval: timedelta
    ) -> None:
        self._clock = clock
        self.lifetime = lifetime
        self.interval = interval
        self._lock = threading.Lock()
        self._by_device: dict[str, DeviceGrant] = {}  # sha256(device code) -> grant
        self._device_of: dict[str, str] = {}  # user code -> sha256(device code)

    def start(self, client_id: str, scope: str, user_agent: str) -> tuple[str, DeviceGrant]:
        """(device code, grant): the device code is returned once and kept only hashed."""
        device_code = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._forget_old(now)
            user_code = new_user_code()
            while user_code in self._device_of:
                user_code = new_user_code()
            grant = DeviceGrant(user_code, client_id, scope, user_agent, now + self.lifetime)
            self._by_device[hash_secret(device_code)] = grant
            self._device_of[user_code] = hash_secret(device_code)
        return device_code, grant

    def poll(self, device_code: str, client_id: str) -> DeviceGrant:
        """The approved grant, once; every other state is an OAuthError the device polls on."""
        now = self._clock()
        key = hash_secret(device_code)
        with self._lock:
            grant = self._by_device.get(key)
            if grant is None or grant.client_id != client_id:
                raise OAuthError("invalid_grant", "Invalid or unknown device code.")
            if grant.expires_at <= now:
                raise OAuthError("expired_token", "The device code has expired.")
            previous = grant.last_poll
            self._by_device[key] = grant = replace(grant, last_poll=now)
            if previous is not None and now - previous < self.interval:
                raise OAuthError(
                    "slow_down",
                    f"Polling too fast: wait {self.interval_seconds()} s between polls.",
                )
            if grant.state is GrantState.PENDING:
                raise OAuthError("authorization_pending", "User has yet to authorize device code.")
            if grant.state is GrantState.DENIED:
                raise OAuthError("access_denied", "The user denied the sign-in.")
            if grant.state is GrantState.ISSUED:
                raise OAuthError("invalid_grant", "The device code was already used.")
            self._by_device[key] = replace(grant, state=GrantState.ISSUED)
            return grant

    def pending(self, user_code: str) -> DeviceGrant | None:
        """The grant a person may still approve or deny under this code."""
        with self._lock:
            grant = self._grant_of(user_code)
        if grant is None or grant.state is not GrantState.PENDING:
            return None
        return grant if grant.expires_at > self._clock() else None

    def decide(self, user_code: str, user_uuid: str, approve: bool) -> bool:
        """Approve or deny, once: False when the code is no longer pending (used, expired)."""
        now = self._clock()
        with self._lock:
            key = self._device_of.get(user_code)
            grant = self._grant_of(user_code)
            if key is None or grant is None or grant.state is not GrantState.PENDING:
                return False
            if grant.expires_at <= now:
                return False
            state = GrantState.APPROVED if approve else GrantState.DENIED
            self._by_device[key] = replace(grant, state=state, user_uuid=user_uuid)
            return True

    def interval_seconds(self) -> int | float:
        """Whole seconds as JSON numbers usually are; a fraction only when configured so
        (tests poll fast)."""
        seconds = self.interval.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds

    def _grant_of(self, user_code: str) -> DeviceGrant | None:
        key = self._device_of.get(user_code)
        return None if key is None else self._by_device.get(key)

    def _forget_old(self, now: datetime) -> None:
        """Expired grants answer expired_token for one more lifetime, then are forgotten."""
        stale = [k for k, g in self._by_device.items() if g.expires_at + self.lifetime <= now]
        for key in stale:
            self._device_of.pop(self._by_device.pop(key).user_code, None)
