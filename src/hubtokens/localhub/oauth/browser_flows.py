"""Where each browser is in the /activate steps, keyed by its cookie: the CSRF token its
forms must carry, the code it entered, who signed in for it, which code the Approve/Deny
page named. In memory, short-lived."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from hmac import compare_digest

MAX_FLOWS = 10_000  # anyone may open the page: bound what they can make the hub remember


@dataclass(frozen=True)
class Flow:
    flow_id: str  # the cookie's value
    csrf: str
    expires_at: datetime
    user_code: str | None = None  # once a pending code was entered
    user_uuid: str | None = None  # once someone signed in for that code
    consent_for: str | None = None  # the code the latest Approve/Deny page named


class BrowserFlows:
    def __init__(self, clock: Callable[[], datetime], lifetime: timedelta) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._flows: dict[str, Flow] = {}

    def start(self) -> Flow:
        now = self._clock()
        flow = Flow(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + self._lifetime)
        with self._lock:
            self._flows = {k: f for k, f in self._flows.items() if f.expires_at > now}
            while len(self._flows) >= MAX_FLOWS:
                del self._flows[next(iter(self._flows))]  # the oldest
            self._flows[flow.flow_id] = flow
        return flow

    def checked(self, flow_id: str | None, csrf: str) -> Flow | None:
        """The browser's flow when its form carried the flow's CSRF token; else None."""
        if not flow_id:
            return None
        with self._lock:
            flow = self._flows.get(flow_id)
        if flow is None or flow.expires_at <= self._clock():
            return None
        return flow if compare_digest(flow.csrf.encode(), csrf.encode()) else None

    def update(self, updated: Flow) -> Flow:
        """Store the next step of a flow (made with dataclasses.replace); a flow already
        finished stays finished."""
        with self._lock:
            if updated.flow_id in self._flows:
                self._flows[updated.flow_id] = updated
        return updated

    def consent_shown(self, flow: Flow) -> Flow:
        """The Approve/Deny page for the flow's code goes out with a CSRF token of its own:
        a page of this flow the browser still shows (another tab, Back) can no longer post,
        so a decision comes only from the page that named the code."""
        return self.update(
            replace(flow, csrf=secrets.token_urlsafe(32), consent_for=flow.user_code)
        )

    def finish(self, flow: Flow) -> None:
        with self._lock:
            self._flows.pop(flow.flow_id, None)
