"""Checks on what a person types, shared by the CLI and the GUI. Each raises ``UsageError``."""

from __future__ import annotations

import re
import uuid as uuid_module
from datetime import UTC, datetime, time, timedelta

from hubtokens.core.errors import UsageError
from hubtokens.core.labels import MAX_LABEL_LENGTH

#: The hub's own limit on custom expiry: up to one year from today.
MAX_EXPIRY = timedelta(days=365)
EXPIRY_PRESETS = {"30d": timedelta(days=30), "90d": timedelta(days=90)}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def validate_description(text: str) -> str:
    value = text.strip()
    if not value:
        raise UsageError("the description must not be empty")
    if len(value) > MAX_LABEL_LENGTH:
        raise UsageError(
            f"the description is {len(value)} characters long; at most {MAX_LABEL_LENGTH} are allowed"
        )
    if any(ord(ch) < 32 for ch in value):
        raise UsageError("the description must not contain control characters")
    return value


def validate_uuid(text: str) -> str:
    try:
        return str(uuid_module.UUID(text.strip()))
    except ValueError:
        raise UsageError(f"{text!r} is not a token UUID (see: hubtokens token ls)") from None


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """``never``, ``30d``, ``90d`` or a date ``YYYY-MM-DD`` (the token expires at the end of
    that day, UTC), at most one year ahead."""
    value = text.strip().lower()
    if value in ("never", "none"):
        return None
    if value in EXPIRY_PRESETS:
        return now + EXPIRY_PRESETS[value]
    if not _DATE.fullmatch(value):
        raise UsageError(f"unknown expiry {text!r}; use never, 30d, 90d or a date YYYY-MM-DD")
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"{text!r} is not a valid date") from None
    return check_expiry(datetime.combine(day, time(23, 59, 59), tzinfo=UTC), now)


def check_expiry(expires_at: datetime, now: datetime) -> datetime:
    if expires_at <= now:
        raise UsageError("the expiry date is in the past; choose a future date")
    if expires_at.astimezone(UTC).date() > (now + MAX_EXPIRY).astimezone(UTC).date():
        raise UsageError(
            "the expiry date is more than one year ahead; the hub allows at most one year"
        )
    return expires_at
