"""Typed, frozen models of what the Docker Hub API sends.

``from_json`` is tolerant of what the real Hub does (unknown fields, ``expires_at`` absent or
null, ``last_used`` null, ``token`` empty outside create) and strict about what we need: a
missing or mistyped required field raises ``ProtocolError`` naming the field, never the body.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from hubtokens.core.errors import ProtocolError, UsageError
from hubtokens.core.labels import is_auto_label
from hubtokens.core.secret import Secret

HUB_CLAIM = "https://hub.docker.com"
UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


class Scope(StrEnum):
    """The four PAT scopes, lowest to highest (each implies the ones before it)."""

    PUBLIC_READ = "repo:public_read"
    READ = "repo:read"
    WRITE = "repo:write"
    ADMIN = "repo:admin"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    @property
    def label(self) -> str:
        """The Hub web UI's name for the permission level."""
        return _SCOPE_LABELS[self]

    @property
    def access(self) -> str:
        """The CLI's name for the level (``--access``)."""
        return _SCOPE_ACCESS[self]

    @property
    def summary(self) -> str:
        """One line of what the level allows."""
        return _SCOPE_SUMMARY[self]

    @classmethod
    def from_access(cls, name: str) -> Scope:
        for scope, access in _SCOPE_ACCESS.items():
            if access == name:
                return scope
        choices = ", ".join(_SCOPE_ACCESS.values())
        raise UsageError(f"unknown access level {name!r}; choose one of: {choices}")

    @classmethod
    def highest(cls, scopes: tuple[str, ...]) -> Scope | None:
        """The highest known scope in a token's list (the hierarchy makes the rest redundant)."""
        known = [Scope(s) for s in scopes if s in _SCOPE_VALUES]
        return max(known, key=lambda s: s.rank) if known else None


_SCOPE_VALUES = {s.value for s in Scope}
_SCOPE_LABELS = {
    Scope.PUBLIC_READ: "Public Repo Read-only",
    Scope.READ: "Read-only",
    Scope.WRITE: "Read & Write",
    Scope.ADMIN: "Read, Write, Delete",
}
_SCOPE_ACCESS = {
    Scope.PUBLIC_READ: "public-read",
    Scope.READ: "read",
    Scope.WRITE: "read-write",
    Scope.ADMIN: "read-write-delete",
}
_SCOPE_SUMMARY = {
    Scope.PUBLIC_READ: "Pull public repositories only.",
    Scope.READ: "Pull public and private repositories you can access.",
    Scope.WRITE: "Pull and push repositories you can access.",
    Scope.ADMIN: "Pull, push and delete images; manage repositories.",
}


class TokenStatus(Enum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    EXPIRED = "Expired"


class TokenSource(Enum):
    MANUAL = "Manual"
    AUTO = "Auto-generated"


def parse_time(value: object, field: str) -> datetime:
    """Parse the Hub's ISO-8601 UTC timestamps (``2021-07-20T12:00:00.000000Z``)."""
    if not isinstance(value, str):
        raise ProtocolError(f"the hub sent an invalid {field!r} field")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # an offset can push year 1 or 9999 out of range when converted to UTC
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ProtocolError(f"the hub sent an invalid {field!r} field") from None


def from_unix_time(value: object) -> datetime | None:
    """A unix timestamp (JWT ``exp``, ``X-RateLimit-Reset``) as UTC, or None when unusable."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def format_time(value: datetime) -> str:
    """The Hub's wire format for timestamps."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _required(data: Mapping[str, Any], field: str, kind: type | tuple[type, ...]) -> Any:
    if field not in data:
        raise ProtocolError(f"the hub's response lacks the {field!r} field")
    value = data[field]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"the hub sent an invalid {field!r} field")
    return value


def _optional_time(data: Mapping[str, Any], field: str) -> datetime | None:
    value = data.get(field)
    return None if value in (None, "") else parse_time(value, field)


def _optional_str(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    return value if isinstance(value, str) else ""


def expect_object(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProtocolError(f"the hub sent {what} that is not a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A personal access token as listed by the Hub (never with its secret)."""

    uuid: str
    label: str
    scopes: tuple[str, ...]
    is_active: bool
    created_at: datetime
    last_used: datetime | None
    expires_at: datetime | None
    generated_by: str
    client_id: str
    creator_ip: str
    creator_ua: str

    @classmethod
    def from_json(cls, data: object) -> AccessToken:
        obj = expect_object(data, "an access token")
        scopes = _required(obj, "scopes", list)
        if not all(isinstance(s, str) for s in scopes):
            raise ProtocolError("the hub sent an invalid 'scopes' field")
        return cls(
            uuid=_required(obj, "uuid", str),
            label=_required(obj, "token_label", str),
            scopes=tuple(scopes),
            is_active=_required(obj, "is_active", bool),
            created_at=parse_time(_required(obj, "created_at", str), "created_at"),
            last_used=_optional_time(obj, "last_used"),
            expires_at=_optional_time(obj, "expires_at"),
            generated_by=_optional_str(obj, "generated_by") or "manual",
            client_id=_optional_str(obj, "client_id"),
            creator_ip=_optional_str(obj, "creator_ip"),
            creator_ua=_optional_str(obj, "creator_ua"),
        )

    @property
    def scope(self) -> Scope | None:
        return Scope.highest(self.scopes)

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def status(self, now: datetime) -> TokenStatus:
        if self.is_expired(now):
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE if self.is_active else TokenStatus.INACTIVE

    @property
    def source(self) -> TokenSource:
        """Auto-generated by Docker Desktop (``generated_by: auto``) or by Hub Tokens (label)."""
        if self.generated_by == "auto" or is_auto_label(self.label):
            return TokenSource.AUTO
        return TokenSource.MANUAL


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """The answer to a create: the token and its secret, which the Hub returns only once."""

    token: AccessToken
    secret: Secret

    @classmethod
    def from_json(cls, data: object) -> CreatedToken:
        obj = expect_object(data, "a created token")
        secret = _required(obj, "token", str)
        if not secret:
            raise ProtocolError("the hub's response lacks the 'token' field")
        return cls(token=AccessToken.from_json(obj), secret=Secret(secret))


@dataclass(frozen=True, slots=True)
class TokenPage:
    """One page of ``GET /v2/access-tokens``."""

    count: int | None  # None when the hub sends no total: follow ``next`` instead
    next: str | None
    previous: str | None
    active_count: int | None
    results: tuple[AccessToken, ...]

    @classmethod
    def from_json(cls, data: object) -> TokenPage:
        obj = expect_object(data, "a token list")
        results = _required(obj, "results", list)
        nxt = obj.get("next")
        prev = obj.get("previous")
        active = obj.get("active_count")
        count = obj.get("count")
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 0
        ):
            raise ProtocolError("the hub sent an invalid 'count' field")
        return cls(
            count=count,
            next=nxt if isinstance(nxt, str) and nxt else None,
            previous=prev if isinstance(prev, str) and prev else None,
            active_count=active
            if isinstance(active, int) and not isinstance(active, bool)
            else None,
            results=tuple(AccessToken.from_json(item) for item in results),
        )


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The ``X-RateLimit-*`` headers of the last response."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionToken:
    """A Hub session JWT and the claims this app reads from it (not verified client-side)."""

    jwt: Secret
    username: str | None
    expires_at: datetime | None
    from_pat: bool

    @classmethod
    def from_jwt(cls, jwt: str) -> SessionToken:
        claims = decode_jwt_claims(jwt)
        exp = claims.get("exp")
        hub = _hub_claim(claims)
        username = hub.get("username") or claims.get("username") or claims.get("sub")
        source = hub.get("source")
        return cls(
            jwt=Secret(jwt),
            username=username if isinstance(username, str) else None,
            expires_at=from_unix_time(exp),
            from_pat=isinstance(source, str) and "pat" in source.split("|")[0],
        )

    @property
    def pat_uuid(self) -> str | None:
        """The uuid of the PAT this session was signed in with (the Hub's claim
        ``source: "docker_pat|<uuid>"``), or None for any other session."""
        source = _hub_claim(decode_jwt_claims(self.jwt.reveal())).get("source")
        if not isinstance(source, str):
            return None
        kind, _, uuid = source.partition("|")
        return uuid.lower() if kind == "docker_pat" and UUID_PATTERN.fullmatch(uuid) else None

    def is_expired(self, now: datetime, leeway_seconds: float = 60.0) -> bool:
        """True when ``exp`` has passed (with leeway, as hub-tool does)."""
        return (
            self.expires_at is not None and (self.expires_at - now).total_seconds() < leeway_seconds
        )


@dataclass(frozen=True, slots=True)
class TwoFactorChallenge:
    """The Hub asked for a second factor; answer with ``HubClient.login_2fa``."""

    username: str
    login_2fa_token: Secret


def _hub_claim(claims: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Hub's own claims (username, uuid, source, ...), under its URL as the key."""
    hub = claims.get(HUB_CLAIM)
    return hub if isinstance(hub, Mapping) else {}


def decode_jwt_claims(jwt: str) -> dict[str, Any]:
    """Read a JWT's payload without verifying it (the Hub verifies; we only read ``exp``)."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise ProtocolError("the hub sent a session token that is not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ProtocolError("the hub sent a session token that cannot be read") from None
    if not isinstance(claims, dict):
        raise ProtocolError("the hub sent a session token that cannot be read")
    return claims
