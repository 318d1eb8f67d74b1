"""The Hub's rate-limit headers (reference docker-hub-api.md §2.5).

Every response may carry ``X-RateLimit-Limit/Remaining/Reset``; a 429 says when to come back
with ``Retry-After`` (seconds, or an HTTP-date) in the newer spec and ``X-Retry-After`` (a unix
time) in the older one. Unusable values are ignored rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from hubtokens.core.hub.models import RateLimit, from_unix_time


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """The ``X-RateLimit-*`` headers, or None when the response has none of them."""
    limit = _number(headers.get("X-RateLimit-Limit"))
    remaining = _number(headers.get("X-RateLimit-Remaining"))
    reset_at = from_unix_time(_number(headers.get("X-RateLimit-Reset")))
    if limit is None and remaining is None and reset_at is None:
        return None
    return RateLimit(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset_at=reset_at,
    )


def parse_retry_at(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When a 429 says to try again, or None when it does not say."""
    retry_after = headers.get("Retry-After", "").strip()
    if retry_after:
        seconds = _number(retry_after)
        if seconds is not None:
            try:
                return now + timedelta(seconds=seconds)
            except OverflowError:
                return None
        return _http_date(retry_after)
    return from_unix_time(_number(headers.get("X-Retry-After")))


def _number(value: str | None) -> float | None:
    """A finite, non-negative decimal number, or None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
