"""The request pipeline: rate limits, then faults, then the route table; every reply is
logged (method, path, status) and carries the rate-limit headers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from hubtokens.localhub.accounts import Accounts, AuthFailed
from hubtokens.localhub.config import HubConfig
from hubtokens.localhub.faults import FaultPlan, apply_faults
from hubtokens.localhub.messages import Reply, Request, error, json_reply
from hubtokens.localhub.ratelimit import Quota, RateLimiter, retry_after_headers
from hubtokens.localhub.routes import Router, is_token_creation

_log = logging.getLogger(__name__)

RATE_LIMITED_BODY = {"detail": "Rate limit exceeded", "error": False}


class RequestLog:
    """(method, path, status) of every request served; status 0 when the connection was
    dropped without an answer. Never headers or bodies: they hold secrets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[str, str, int]] = []

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._entries.append((method, path, status))

    def entries(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self._entries)


class HubApp:
    def __init__(
        self,
        config: HubConfig,
        accounts: Accounts,
        router: Router,
        faults: FaultPlan,
        log: RequestLog,
        housekeeping: Callable[[], None] = lambda: None,
    ) -> None:
        self._config = config
        self._accounts = accounts
        self._router = router
        self._faults = faults
        self._log = log
        self._housekeeping = housekeeping  # before each request: e.g. end expired sessions
        self._requests = RateLimiter(config.requests_per_minute, timedelta(minutes=1), config.clock)
        self._creates = RateLimiter(config.creates_per_hour, timedelta(hours=1), config.clock)

    def handle(self, request: Request) -> Reply:
        try:
            reply = self._handle(request)
        except Exception:
            _log.exception("localhub failed to answer %s %s", request.method, request.path)
            reply = error(500, "Internal server error")
        status = 0 if reply.delivery == "drop" else reply.status
        self._log.record(request.method, request.path, status)
        return reply

    def _handle(self, request: Request) -> Reply:
        self._housekeeping()
        quota = self._spend_budget(request)
        if not quota.allowed:
            reply = self._too_many((quota.reset_at - self._config.clock()).total_seconds())
        else:
            hits = self._faults.draw(request.method, request.path)
            reply = apply_faults(hits, lambda: self._router.dispatch(request), self._too_many)
        return replace(reply, headers={**quota.headers(), **reply.headers})

    def _spend_budget(self, request: Request) -> Quota:
        """Per account when the caller is signed in, else per client address. Token creation
        also draws on its own, tighter budget, which is then the one reported."""
        key = self._budget_key(request)
        quota = self._requests.take(key)
        if quota.allowed and is_token_creation(request):
            return self._creates.take(key)
        return quota

    def _budget_key(self, request: Request) -> str:
        try:
            return "user:" + self._accounts.authenticate(request.authorization).user.uuid
        except AuthFailed:
            return "ip:" + request.client_ip

    def _too_many(self, seconds: float) -> Reply:
        now = self._config.clock()
        until = now + timedelta(seconds=seconds)
        headers = retry_after_headers(self._config.retry_after_style, now, until)
        return json_reply(429, RATE_LIMITED_BODY, headers)
