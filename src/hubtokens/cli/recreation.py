"""What the CLI says about a missing auto token: when it comes back, and the way to ask now.

``status``, ``sync`` and ``token rm`` all say it, so they say it alike and as the keeper will
do it: the keeper's own runs (the app's timer, plain ``hubtokens sync``) wait for the creation
budget; a person's ``hubtokens sync --now`` waits only for the hub's ``Retry-After``.
"""

from __future__ import annotations

from datetime import datetime

from hubtokens.core.keeper import AUTO_TOKEN_LIMIT, CHECK_INTERVAL, DISPLACE_COMMAND, Recreation
from hubtokens.core.timefmt import exact, relative

NOW_COMMAND = "hubtokens sync --now"
CHECKS = (
    f"the app checks every {int(CHECK_INTERVAL.total_seconds() // 60)} minutes while it runs, "
    "and each `hubtokens sync` checks once"
)


def now_command(recreation: Recreation) -> str | None:
    """The command that makes it at once, where a person can (the hub's rate limit holds
    them too); a displaced token's costs another device its token."""
    if recreation.rate_limited_until is not None:
        return None
    return NOW_COMMAND if recreation.automatic else DISPLACE_COMMAND


def status_line(recreation: Recreation, now: datetime) -> str:
    """The ``Recreation:`` row of ``status``."""
    if not recreation.automatic:
        return (
            "only when you ask, as it displaces another device's auto token (Docker keeps "
            f"{AUTO_TOKEN_LIMIT} per account); to do it: {DISPLACE_COMMAND}"
        )
    if recreation.rate_limited_until is not None:
        return f"from {_at(recreation.rate_limited_until, now)}, when the hub's rate limit ends"
    if recreation.automatic_at is not None:
        return (
            f"from {_at(recreation.automatic_at, now)}, when the creation budget allows; "
            f"now: {NOW_COMMAND}"
        )
    return f"at the next check; now: {NOW_COMMAND}"


def way_out(recreation: Recreation) -> str | None:
    """How a person gets it at once, where they can (the hub's rate limit holds them too)."""
    command = now_command(recreation)
    return None if command is None else f"To create it now: {command}"


def after_deletion(recreation: Recreation | None, now: datetime) -> list[str]:
    """What ``token rm`` of this device's auto token says will happen."""
    lines = ["That was this device's auto token, which docker uses."]
    if recreation is None:  # another run has replaced it meanwhile
        return [*lines, "Hub Tokens has already created a new one."]
    if recreation.rate_limited_until is not None:
        when = (
            f"The hub is rate limiting this account until "
            f"{_at(recreation.rate_limited_until, now)}: Hub Tokens creates a new one at the "
            "first check from then"
        )
    elif recreation.automatic_at is not None:
        when = (
            f"To avoid piling up tokens, Hub Tokens creates a new one from "
            f"{_at(recreation.automatic_at, now)}, at the first check from then"
        )
    else:
        when = "Hub Tokens creates a new one at the next check"
    lines.append(f"{when} ({CHECKS}).")
    now_line = way_out(recreation)
    return [*lines, now_line] if now_line is not None else lines


def _at(when: datetime, now: datetime) -> str:
    return f"{exact(when)} ({relative(when, now)})"
