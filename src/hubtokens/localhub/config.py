"""How a LocalHub is set up: where it keeps data, where it listens, its lifetimes and budgets."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

RETRY_AFTER_STYLES = ("seconds", "http-date", "x-retry-after")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HubConfig:
    data_dir: Path | None = None  # None keeps everything in memory
    host: str = "127.0.0.1"
    port: int = 0
    allow_remote: bool = False
    session_lifetime: timedelta = timedelta(days=30)
    auth_token_lifetime: timedelta = timedelta(minutes=10)
    # The sign-in service (OAuth 2.0 device authorization, RFC 8628), as login.docker.com.
    device_code_lifetime: timedelta = timedelta(seconds=900)  # the answer's expires_in
    device_poll_interval: timedelta = timedelta(seconds=5)  # the answer's interval
    oauth_access_token_lifetime: timedelta = timedelta(minutes=15)
    # A web session (one refresh-token family) ends after this long, or when unused this long
    # (Docker Desktop: 90 days, or 30 days of inactivity).
    oauth_session_lifetime: timedelta = timedelta(days=90)
    oauth_session_idle: timedelta = timedelta(days=30)
    requests_per_minute: int = 600
    creates_per_hour: int = 30
    retry_after_style: str = "seconds"
    clock: Callable[[], datetime] = _utc_now  # must return aware datetimes
    seed: int | None = None  # for the fault plan's random draws

    def __post_init__(self) -> None:
        # Throwaway accounts and demo passwords must not be reachable from the network.
        if not self.allow_remote and not is_loopback(self.host):
            raise ValueError(
                f"refusing to listen on {self.host!r}: localhub is for this machine only. "
                "Use a loopback address such as 127.0.0.1, or allow remote access explicitly "
                "(allow_remote=True, --allow-remote)."
            )
        if self.retry_after_style not in RETRY_AFTER_STYLES:
            raise ValueError(
                f"retry_after_style must be one of {', '.join(RETRY_AFTER_STYLES)}, "
                f"not {self.retry_after_style!r}"
            )
        if self.requests_per_minute < 1 or self.creates_per_hour < 1:
            raise ValueError("requests_per_minute and creates_per_hour must be at least 1")
        lifetimes = (
            self.session_lifetime,
            self.auth_token_lifetime,
            self.device_code_lifetime,
            self.device_poll_interval,
            self.oauth_access_token_lifetime,
            self.oauth_session_lifetime,
            self.oauth_session_idle,
        )
        if any(lifetime <= timedelta(0) for lifetime in lifetimes):
            raise ValueError("token lifetimes and the poll interval must be positive")
