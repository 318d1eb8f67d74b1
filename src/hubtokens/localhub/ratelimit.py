"""Fixed-window request budgets per caller, and the headers that describe them."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubtokens.localhub.times import http_date, unix_seconds


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset_at: datetime
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(unix_seconds(self.reset_at)),
        }


class RateLimiter:
    """``limit`` requests per ``period`` for each key; the window opens on its first request."""

    def __init__(self, limit: int, period: timedelta, clock: Callable[[], datetime]) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[datetime, int]] = {}  # key -> (reset time, used)

    def take(self, key: str) -> Quota:
        """Spend one request from ``key``'s budget if any is left."""
        now = self._clock()
        with self._lock:
            reset_at, used = self._windows.get(key, (now, 0))
            if reset_at <= now:
                reset_at, used = now + self._period, 0
            allowed = used < self._limit
            if allowed:
                used += 1
            self._windows[key] = (reset_at, used)
        return Quota(self._limit, self._limit - used, reset_at, allowed)


def retry_after_headers(style: str, now: datetime, until: datetime) -> dict[str, str]:
    """Say when to come back, in the spelling the hub is configured to use."""
    if style == "http-date":
        return {"Retry-After": http_date(until)}
    if style == "x-retry-after":
        return {"X-Retry-After": str(unix_seconds(until))}
    return {"Retry-After": str(max(0, math.ceil((until - now).total_seconds())))}
