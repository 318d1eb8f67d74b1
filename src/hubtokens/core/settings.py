"""Non-secret state: who is signed in where, and what the keeper knows about the auto token.

One versioned JSON file, saved atomically. Loading is lenient (unknown keys are kept, missing
keys get defaults) so that an older or newer app never loses what the other wrote. Secrets never
go here: they live in the keychain (``core.vault``).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hubtokens.core.errors import ConfigError, ProtocolError
from hubtokens.core.fileio import ChangedMeanwhile, EditedFrom, write_atomic
from hubtokens.core.hub.models import format_time, parse_time

SCHEMA_VERSION = 1
_UPDATE_ATTEMPTS = 20


def _time_or_none(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value, "time")
    except ProtocolError:
        return None


def _time_out(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


@dataclass(frozen=True, slots=True)
class AutoTokenRecord:
    """This device's auto token as last seen. The secret is in the keychain.

    ``deleted_at``: when this device learnt the token is gone from the hub (``token rm``, or a
    check that found it missing), until a new one replaces this record."""

    uuid: str
    label: str
    created_at: datetime
    deleted_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "label": self.label,
            "created_at": format_time(self.created_at),
            "deleted_at": _time_out(self.deleted_at),
        }

    @classmethod
    def from_json(cls, data: object) -> AutoTokenRecord | None:
        if not isinstance(data, dict):
            return None
        uuid, label = data.get("uuid"), data.get("label")
        created = _time_or_none(data.get("created_at"))
        if not isinstance(uuid, str) or not isinstance(label, str) or created is None:
            return None
        return cls(uuid, label, created, _time_or_none(data.get("deleted_at")))


@dataclass(frozen=True, slots=True)
class PendingCreate:
    """Written before a create request, cleared after the secret is stored (crash safety).

    ``created_uuid`` is the token the hub created, noted as soon as it answered: if the process
    dies before the token is recorded, the next run can tell whether the keychain already holds
    its secret and keep it, instead of deleting a working token."""

    label: str
    started_at: datetime
    created_uuid: str | None = None
    reason: str | None = None  # why it was created (the keeper's CreateReason value)
    # A web create (desktop-generate, whose token the Hub names): the uuids on the account just
    # before the call, so a run after a crash can tell which token the call made.
    known_before: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """What the keeper remembers about one account on one hub."""

    hub_url: str
    account: str
    credential: str = "auto-token"  # "auto-token" (ours) or "pat" (signed in with a PAT)
    # How the management session was made: "password" (a Hub session JWT in the keychain) or
    # "web" (the sign-in service's device flow: a refresh token in the keychain).
    sign_in: str = "password"
    session_expires_at: datetime | None = None
    session_ended_at: datetime | None = None  # when the sign-in service refused a web session
    auto_token: AutoTokenRecord | None = None
    pending_create: PendingCreate | None = None
    creation_attempts: tuple[datetime, ...] = ()
    not_before: datetime | None = None
    last_check: datetime | None = None
    last_outcome: str | None = None
    last_message: str | None = None
    next_check_at: datetime | None = None  # when the last check said to look again
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        pending = self.pending_create
        return {
            **self.extra,
            "hub_url": self.hub_url,
            "account": self.account,
            "credential": self.credential,
            "sign_in": self.sign_in,
            "session_expires_at": _time_out(self.session_expires_at),
            "session_ended_at": _time_out(self.session_ended_at),
            "auto_token": None if self.auto_token is None else self.auto_token.to_json(),
            "pending_create": None
            if pending is None
            else {
                "label": pending.label,
                "started_at": format_time(pending.started_at),
                "created_uuid": pending.created_uuid,
                "reason": pending.reason,
                "known_before": None
                if pending.known_before is None
                else list(pending.known_before),
            },
            "creation_attempts": [format_time(t) for t in self.creation_attempts],
            "not_before": _time_out(self.not_before),
            "last_check": _time_out(self.last_check),
            "last_outcome": self.last_outcome,
            "last_message": self.last_message,
            "next_check_at": _time_out(self.next_check_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountRecord | None:
        hub_url, account = data.get("hub_url"), data.get("account")
        if not isinstance(hub_url, str) or not isinstance(account, str):
            return None
        pending_raw = data.get("pending_create")
        pending = None
        if isinstance(pending_raw, dict):
            started = _time_or_none(pending_raw.get("started_at"))
            label = pending_raw.get("label")
            created, reason = pending_raw.get("created_uuid"), pending_raw.get("reason")
            known = pending_raw.get("known_before")
            if isinstance(label, str) and started is not None:
                pending = PendingCreate(
                    label,
                    started,
                    created if isinstance(created, str) and created else None,
                    reason if isinstance(reason, str) and reason else None,
                    tuple(u for u in known if isinstance(u, str))
                    if isinstance(known, list)
                    else None,
                )
        attempts_raw = data.get("creation_attempts")
        attempts = tuple(
            t
            for t in (
                _time_or_none(v) for v in (attempts_raw if isinstance(attempts_raw, list) else [])
            )
            if t is not None
        )
        credential = data.get("credential")
        known = {
            "hub_url", "account", "credential", "sign_in", "session_expires_at",
            "session_ended_at", "auto_token",
            "pending_create", "creation_attempts", "not_before", "last_check", "last_outcome",
            "last_message", "next_check_at",
        }  # fmt: skip
        return cls(
            hub_url=hub_url,
            account=account,
            credential=credential if credential in ("auto-token", "pat") else "auto-token",
            sign_in="web" if data.get("sign_in") == "web" else "password",
            session_expires_at=_time_or_none(data.get("session_expires_at")),
            session_ended_at=_time_or_none(data.get("session_ended_at")),
            auto_token=AutoTokenRecord.from_json(data.get("auto_token")),
            pending_create=pending,
            creation_attempts=attempts,
            not_before=_time_or_none(data.get("not_before")),
            last_check=_time_or_none(data.get("last_check")),
            last_outcome=_str_or_none(data.get("last_outcome")),
            last_message=_str_or_none(data.get("last_message")),
            next_check_at=_time_or_none(data.get("next_check_at")),
            extra={k: v for k, v in data.items() if k not in known},
        )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole settings file. ``accounts`` is keyed by hub URL: one account per hub."""

    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def account_for(self, hub_url: str) -> AccountRecord | None:
        return self.accounts.get(hub_url)

    def with_account(self, record: AccountRecord) -> Settings:
        return replace(self, accounts={**self.accounts, record.hub_url: record})

    def without_account(self, hub_url: str) -> Settings:
        return replace(self, accounts={k: v for k, v in self.accounts.items() if k != hub_url})

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "schema_version": SCHEMA_VERSION,
            "accounts": {url: rec.to_json() for url, rec in sorted(self.accounts.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> Settings:
        if not isinstance(data, dict):
            raise ConfigError("the settings file does not hold a JSON object")
        raw_accounts = data.get("accounts")
        accounts: dict[str, AccountRecord] = {}
        if isinstance(raw_accounts, dict):
            for raw in raw_accounts.values():
                record = AccountRecord.from_json(raw) if isinstance(raw, dict) else None
                if record is not None:
                    accounts[record.hub_url] = record
        extra = {k: v for k, v in data.items() if k not in ("schema_version", "accounts")}
        return cls(accounts=accounts, extra=extra)


class SettingsStore:
    """Loads and saves ``Settings`` in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Settings:
        return self._parse(self._read())

    def save(self, settings: Settings) -> None:
        self._write(settings)

    def update(self, change: Callable[[Settings], Settings]) -> Settings:
        """Load, ``change`` and save; again if another program rewrote the file in between,
        so that what it wrote (keys this app does not know) is kept."""
        for attempt in range(_UPDATE_ATTEMPTS):
            text = self._read()
            settings = change(self._parse(text))
            try:
                self._write(settings, edited_from=EditedFrom(text))
            except ChangedMeanwhile:
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return settings
        raise ConfigError(
            f"{self.path} kept changing while it was being saved",
            hint="another program is rewriting it; try again",
        )

    def _read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(
                f"{self.path} is not valid JSON",
                hint="fix or remove the file; it holds no secrets",
            ) from None

    def _parse(self, text: str | None) -> Settings:
        if text is None:
            return Settings()
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError(
                f"{self.path} is not valid JSON",
                hint="fix or remove the file; it holds no secrets",
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{self.path} does not hold a JSON object",
                hint="fix or remove the file; it holds no secrets",
            )
        return Settings.from_json(data)

    def _write(self, settings: Settings, edited_from: EditedFrom | None = None) -> None:
        text = json.dumps(settings.to_json(), indent=2) + "\n"
        try:
            write_atomic(self.path, text, edited_from=edited_from)
        except OSError as exc:
            raise ConfigError(f"cannot write {self.path}: {exc.strerror}") from None
