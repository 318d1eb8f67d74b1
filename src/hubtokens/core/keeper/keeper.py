"""The keeper: sign-in and this device's auto token, the one object the front ends use.

Each job has a room of its own beside this module: ``signin.py``, ``reconcile.py`` (one check
and its repair), ``creation.py`` (making the token, step by recorded step), ``recovery.py``
(after a crash), ``signout.py``, ``status.py``, and ``sessions.py`` (the management session,
password or web). The rules are in ``policy.py``; the words in ``reports.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hubtokens.core.hub.models import SessionToken, TwoFactorChallenge
from hubtokens.core.hub.oauth import DeviceAuthorization, OnWait, SignInService, oauth_config_for
from hubtokens.core.keeper.creation import Creation
from hubtokens.core.keeper.lock import KeeperLock
from hubtokens.core.keeper.parts import HubApi, KeeperParts, Records, VaultApi
from hubtokens.core.keeper.reconcile import Reconciler
from hubtokens.core.keeper.recovery import CrashRecovery
from hubtokens.core.keeper.reports import (
    AccountStatus,
    ReconcileReport,
    Recreation,
    SignInResult,
    SignOutResult,
)
from hubtokens.core.keeper.sessions import ManagementSessions
from hubtokens.core.keeper.signin import SignIn
from hubtokens.core.keeper.signout import SignOut
from hubtokens.core.keeper.status import Status
from hubtokens.core.labels import auto_label
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord, SettingsStore

__all__ = ["HubApi", "Keeper", "VaultApi"]


class Keeper:
    def __init__(
        self,
        *,
        client_for: Callable[[str], HubApi],
        vault: VaultApi,
        settings: SettingsStore,
        lock: KeeperLock,
        clock: Callable[[], datetime],
        hostname: str,
    ) -> None:
        self.label = auto_label(hostname)
        parts = KeeperParts(
            client_for=client_for,
            sign_in_service_for=_sign_in_service_from(settings),
            vault=vault,
            records=Records(settings, clock),
            lock=lock,
            clock=clock,
            label=self.label,
        )
        self._parts = parts
        self._sessions = ManagementSessions(parts)
        recovery = CrashRecovery(parts)
        self._reconciler = Reconciler(parts, self._sessions, recovery, Creation(parts, recovery))
        self._sign_in = SignIn(parts, self._sessions, self._reconciler)
        self._sign_out = SignOut(parts, self._sessions)
        self._status = Status(parts, self._sessions)

    # --- sign-in ------------------------------------------------------------------------

    def sign_in(
        self, hub_url: str, username: str, password: Secret, *, otp: str | None = None
    ) -> SignInResult | TwoFactorChallenge:
        """Log in with a password (or a PAT); returns the 2FA challenge when the hub asks for
        a code and none was given."""
        return self._sign_in.with_password(hub_url, username, password, otp=otp)

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> SignInResult:
        return self._sign_in.complete_two_factor(hub_url, challenge, code)

    def start_web_sign_in(self, hub_url: str) -> DeviceAuthorization:
        """A one-time code to approve in a browser (the device flow)."""
        return self._sign_in.start_web(hub_url)

    def complete_web_sign_in(
        self,
        hub_url: str,
        authorization: DeviceAuthorization,
        cancelled: threading.Event,
        on_wait: OnWait | None = None,
    ) -> SignInResult:
        """Wait for the approval (``cancelled.set()`` ends it at once), then sign in."""
        return self._sign_in.complete_web(hub_url, authorization, cancelled, on_wait)

    # --- the auto token -----------------------------------------------------------------

    def reconcile(self, hub_url: str, *, explicit: bool = False) -> ReconcileReport:
        """Check the auto token once and repair it if needed. ``explicit``: a person asked
        (``sync --now``, Sync now), so the creation budget does not hold it back."""
        with self._parts.lock.held():
            return self._reconciler.reconcile(hub_url, explicit=explicit)

    def recreate_displaced(self, hub_url: str) -> ReconcileReport:
        """A person's choice to recreate a token that Docker's limit of 5 displaced: the
        Hub then deletes the oldest other auto-generated token (another device's)."""
        with self._parts.lock.held():
            return self._reconciler.reconcile(hub_url, explicit=True, displace=True)

    def note_auto_token_deleted(self, hub_url: str, uuid: str) -> Recreation | None:
        """A person deleted token ``uuid``: if it is this device's auto token, remember that
        it is gone and say when it comes back (None if it is not this device's)."""
        return self._status.note_auto_token_deleted(hub_url, uuid)

    # --- sign-out -----------------------------------------------------------------------

    def sign_out(self, hub_url: str, *, keep_token: bool = False) -> SignOutResult:
        return self._sign_out.sign_out(hub_url, keep_token=keep_token)

    # --- what the front ends need -------------------------------------------------------

    def account(self, hub_url: str) -> AccountRecord | None:
        return self._parts.records.find(hub_url)

    @property
    def settings_path(self) -> Path:
        """The file the keeper keeps its records in, which other processes may change."""
        return self._parts.records.store.path

    def management_session(self, hub_url: str) -> SessionToken:
        """The session for token management, or a clear error saying why there is none."""
        record = self._parts.records.require(hub_url)
        if record.sign_in != "web":
            return self._sessions.current(record)
        with self._parts.lock.held():  # a renewal rotates the refresh token
            return self._sessions.current(self._parts.records.require(hub_url))

    def credential(self, hub_url: str) -> tuple[str, Secret]:
        """The account name and the secret the docker CLI should use."""
        return self._status.credential(hub_url)

    def status(self, hub_url: str) -> AccountStatus:
        return self._status.status(hub_url)


def _sign_in_service_from(settings: SettingsStore) -> Callable[[str], SignInService]:
    """The sign-in service for a hub: the docker CLI's, unless the settings file
    (``oauth_tenant``, ``oauth_client_id``) or the environment say otherwise."""

    def service_for(hub_url: str) -> SignInService:
        extra = settings.load().extra
        tenant, client_id = extra.get("oauth_tenant"), extra.get("oauth_client_id")
        config = oauth_config_for(
            hub_url,
            tenant=tenant if isinstance(tenant, str) else None,
            client_id=client_id if isinstance(client_id, str) else None,
        )
        return SignInService(config)

    return service_for
