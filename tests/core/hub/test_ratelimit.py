from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hubtokens.core.hub.models import RateLimit
from hubtokens.core.hub.ratelimit import parse_rate_limit, parse_retry_at

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_rate_limit_headers() -> None:
    headers = {
        "X-RateLimit-Limit": "180",
        "X-RateLimit-Remaining": "179",
        "X-RateLimit-Reset": str(int(NOW.timestamp())),
    }
    assert parse_rate_limit(headers) == RateLimit(limit=180, remaining=179, reset_at=NOW)


def test_no_rate_limit_headers() -> None:
    assert parse_rate_limit({"Content-Type": "application/json"}) is None


@pytest.mark.parametrize("bad", ["", "many", "-1", "nan", "inf", "1e999"])
def test_unusable_values_are_ignored(bad: str) -> None:
    headers = {"X-RateLimit-Limit": bad, "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": bad}
    assert parse_rate_limit(headers) == RateLimit(limit=None, remaining=3, reset_at=None)


def test_huge_reset_is_ignored() -> None:
    assert parse_rate_limit({"X-RateLimit-Reset": "1e300"}) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, NOW + timedelta(seconds=30)),
        ({"Retry-After": " 0 "}, NOW),
        ({"Retry-After": "2.5"}, NOW + timedelta(seconds=2.5)),
        (
            {"Retry-After": format_datetime(NOW + timedelta(hours=1), usegmt=True)},
            NOW + timedelta(hours=1),
        ),
        ({"Retry-After": "Sun, 01 Mar 2026 13:00:00 -0000"}, NOW + timedelta(hours=1)),
        ({"X-Retry-After": str(int(NOW.timestamp()) + 90)}, NOW + timedelta(seconds=90)),
        # the newer header wins when both are present
        ({"Retry-After": "10", "X-Retry-After": "0"}, NOW + timedelta(seconds=10)),
        ({}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "1e300"}, None),
        ({"X-Retry-After": "tomorrow"}, None),
        ({"X-Retry-After": "1e300"}, None),
    ],
)
def test_retry_at(headers: dict[str, str], expected: datetime | None) -> None:
    assert parse_retry_at(headers, NOW) == expected
