"""What every room of the keeper works with: the hub, the keychain, the records, the clock.

The keeper is split by job (sign-in, reconcile, creation, crash recovery, sign-out, status);
each room gets one ``KeeperParts`` instead of a long list of arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from hubtokens.core.errors import NotSignedIn
from hubtokens.core.hub.models import (
    AccessToken,
    CreatedToken,
    Scope,
    SessionToken,
    TwoFactorChallenge,
)
from hubtokens.core.hub.oauth import SignInService
from hubtokens.core.keeper.lock import KeeperLock
from hubtokens.core.keeper.reports import ReconcileReport
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord, Settings, SettingsStore


class HubApi(Protocol):
    """The part of ``HubClient`` the keeper uses."""

    def login(self, username: str, password: Secret) -> SessionToken | TwoFactorChallenge: ...
    def login_2fa(self, challenge: TwoFactorChallenge, code: str) -> SessionToken: ...
    def auth_token(self, identifier: str, secret: Secret) -> SessionToken | TwoFactorChallenge: ...
    def list_tokens(self, session: SessionToken) -> list[AccessToken]: ...
    def get_token(self, session: SessionToken, uuid: str) -> AccessToken: ...
    def create_token(
        self,
        session: SessionToken,
        label: str,
        scopes: Sequence[Scope],
        expires_at: datetime | None = None,
    ) -> CreatedToken: ...
    def desktop_generate(self, session: SessionToken) -> Secret: ...
    def update_token(
        self,
        session: SessionToken,
        uuid: str,
        *,
        label: str | None = None,
        is_active: bool | None = None,
    ) -> AccessToken: ...
    def delete_token(self, session: SessionToken, uuid: str) -> None: ...


class VaultApi(Protocol):
    """The part of ``Vault`` the keeper uses."""

    def get_session(self, hub_url: str, account: str) -> Secret | None: ...
    def put_session(self, hub_url: str, account: str, jwt: Secret) -> None: ...
    def delete_session(self, hub_url: str, account: str) -> None: ...
    def get_refresh_token(self, hub_url: str, account: str) -> Secret | None: ...
    def put_refresh_token(self, hub_url: str, account: str, token: Secret) -> None: ...
    def delete_refresh_token(self, hub_url: str, account: str) -> None: ...
    def get_auto_token(self, hub_url: str, account: str) -> Secret | None: ...
    def put_auto_token(self, hub_url: str, account: str, secret: Secret) -> None: ...
    def delete_auto_token(self, hub_url: str, account: str) -> None: ...


class Records:
    """The keeper's records in the settings file, which other processes share."""

    def __init__(self, store: SettingsStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self._clock = clock

    def find(self, hub_url: str) -> AccountRecord | None:
        return self.store.load().account_for(hub_url)

    def require(self, hub_url: str) -> AccountRecord:
        record = self.find(hub_url)
        if record is None:
            raise NotSignedIn(f"not signed in to {hub_url}", hint="run: hubtokens signin")
        return record

    def save(self, record: AccountRecord) -> None:
        def change(settings: Settings) -> Settings:
            current = settings.account_for(record.hub_url)
            # Keys this version does not know are kept as the file has them now.
            return settings.with_account(
                record if current is None else replace(record, extra=current.extra)
            )

        self.store.update(change)

    def save_report(self, record: AccountRecord, report: ReconcileReport) -> ReconcileReport:
        record = replace(
            record,
            last_check=self._clock(),
            last_outcome=report.action.verdict.value,
            last_message=report.message,
            next_check_at=report.next_check_at,
        )
        self.save(record)
        return report

    def forget(self, hub_url: str) -> None:
        self.store.update(lambda settings: settings.without_account(hub_url))


@dataclass(frozen=True, slots=True)
class KeeperParts:
    client_for: Callable[[str], HubApi]
    sign_in_service_for: Callable[[str], SignInService]
    vault: VaultApi
    records: Records
    lock: KeeperLock
    clock: Callable[[], datetime]
    label: str  # this device's auto-token label
