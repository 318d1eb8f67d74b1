"""Failed attempts per caller in a sliding window: enough of them and the caller waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta


class FailureThrottle:
    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime]) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[datetime]] = {}

    def wait_left(self, key: str) -> timedelta | None:
        """How long ``key`` must wait before trying again; None when it may try now."""
        now = self._clock()
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self._limit:
                return None
            return recent[-self._limit] + self._window - now

    def failed(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            self._failures[key] = [*self._recent(key, now), now]

    def _recent(self, key: str, now: datetime) -> list[datetime]:
        return [t for t in self._failures.get(key, []) if t + self._window > now]
