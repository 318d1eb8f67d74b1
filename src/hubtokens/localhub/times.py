"""Time conversions shared by the store, the JSON views and the HTTP headers."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(when: datetime) -> int:
    """Integer microseconds since the epoch: exact, sortable and cheap to compare in SQL."""
    return (utc(when) - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def utc(when: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def format_api_time(when: datetime) -> str:
    """The Hub's timestamp shape: ``2021-07-20T12:00:00.000000Z``."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unix_seconds(when: datetime) -> int:
    """Whole unix seconds, rounded up so a client waiting until then is never early."""
    return math.ceil(utc(when).timestamp())


def http_date(when: datetime) -> str:
    return format_datetime(datetime.fromtimestamp(unix_seconds(when), UTC), usegmt=True)
