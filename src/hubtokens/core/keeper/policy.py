"""The keeper's decision, kept pure: ``decide(...) -> Action``.

Everything the keeper does to the auto token is chosen here from what was observed, so every
rule in DESIGN.md "The keeper" is a line below and can be tested without a hub or a keychain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

#: At most one creation attempt per 10 minutes and three per day, per account (R-1.3).
MIN_INTERVAL = timedelta(minutes=10)
DAILY_WINDOW = timedelta(days=1)
DAILY_LIMIT = 3
#: The budget as people read it, in every message that mentions it.
BUDGET_IN_WORDS = (
    f"at most one every {int(MIN_INTERVAL.total_seconds() // 60)} minutes and {DAILY_LIMIT} a day"
)
#: When the hub says 429 without saying until when.
DEFAULT_BACKOFF = timedelta(minutes=5)


class Observation(Enum):
    """What the hub said about our auto token (or why we could not ask)."""

    PRESENT = "present"  # exists, active, not expired
    INACTIVE = "inactive"  # someone deactivated it
    EXPIRED = "expired"
    MISSING = "missing"  # 404 for our uuid: proof it was deleted
    # Missing, and five auto-generated tokens newer than ours on the account: Docker's limit of
    # 5 let a sign-in on another device displace it.
    DISPLACED = "displaced"
    NONE_RECORDED = "none-recorded"  # we never created one (first sign-in)
    SESSION_EXPIRED = "session-expired"  # our session's exp passed, or there is none
    SESSION_REJECTED = "session-rejected"  # a confirmed 401/403 on the management session
    SESSION_ENDED = "session-ended"  # the sign-in service refused the web session's refresh
    UNREACHABLE = "unreachable"  # network error, timeout, 5xx, garbage
    RATE_LIMITED = "rate-limited"  # 429
    NOT_CHECKED = "not-checked"  # the keychain failed first, so the hub was not asked


class SecretState(Enum):
    PRESENT = "present"
    MISSING = "missing"
    UNAVAILABLE = "unavailable"  # the keychain cannot be used right now


class Verdict(Enum):
    HEALTHY = "healthy"
    CREATE = "create"
    WAIT_FOR_BUDGET = "wait-for-budget"
    BACK_OFF = "back-off"
    REPORT_INACTIVE = "inactive"
    REPORT_DISPLACED = "displaced"  # recreating would displace another device's token
    PAUSE_SESSION = "session-expired"
    OFFLINE = "offline"
    KEYCHAIN_UNAVAILABLE = "keychain-unavailable"


class CreateReason(Enum):
    FIRST = "first"
    DELETED_ON_HUB = "deleted-on-hub"
    SECRET_LOST = "secret-lost"
    EXPIRED = "expired"
    DISPLACED = "displaced"  # a person chose to take a slot back from another device


@dataclass(frozen=True, slots=True)
class Action:
    verdict: Verdict
    reason: CreateReason | None = None
    until: datetime | None = None


def backoff_until(retry_at: datetime | None, now: datetime) -> datetime:
    """Until when to leave the hub alone after a 429: its Retry-After, or a default when it
    gave none; never earlier than ``now`` (a Retry-After of 0 s, a skewed clock)."""
    return now + DEFAULT_BACKOFF if retry_at is None else max(retry_at, now)


def next_creation_allowed(attempts: tuple[datetime, ...], now: datetime) -> datetime:
    """The earliest time the creation budget allows another attempt (``now`` if allowed)."""
    allowed = now
    if attempts:
        allowed = max(allowed, max(attempts) + MIN_INTERVAL)
    recent = sorted(t for t in attempts if t > now - DAILY_WINDOW)
    if len(recent) >= DAILY_LIMIT:
        allowed = max(allowed, recent[-DAILY_LIMIT] + DAILY_WINDOW)
    return allowed


def creation_allowed_at(
    attempts: tuple[datetime, ...],
    now: datetime,
    *,
    retry_at: datetime | None = None,
    explicit: bool = False,
) -> datetime:
    """When a create may next be attempted: never before the hub's ``Retry-After``, and for
    the keeper's own runs (not a person's explicit request) not before the budget allows."""
    allowed = now if explicit else next_creation_allowed(attempts, now)
    return allowed if retry_at is None else max(allowed, retry_at)


def prune_attempts(attempts: tuple[datetime, ...], now: datetime) -> tuple[datetime, ...]:
    """Attempts older than the daily window no longer matter."""
    return tuple(sorted(t for t in attempts if t > now - DAILY_WINDOW))


_CREATE_ON = {
    Observation.NONE_RECORDED: CreateReason.FIRST,
    Observation.MISSING: CreateReason.DELETED_ON_HUB,
    Observation.EXPIRED: CreateReason.EXPIRED,
    Observation.DISPLACED: CreateReason.DISPLACED,
}


def decide(
    observation: Observation,
    secret: SecretState,
    *,
    attempts: tuple[datetime, ...],
    now: datetime,
    retry_at: datetime | None = None,
    explicit: bool = False,
    displace: bool = False,
) -> Action:
    """Choose what to do. ``explicit`` marks a person's own request (sign-in, ``sync --now``,
    Sync now): it is not a loop, so the creation budget (which exists to stop automatic
    recreation from looping) does not apply, but the hub's ``Retry-After`` still does. Its
    attempt is still counted. ``displace``: the person chose to recreate a displaced token,
    knowing it displaces another device's; nothing else ever does (the devices would take
    turns for ever)."""
    if secret is SecretState.UNAVAILABLE or observation is Observation.NOT_CHECKED:
        # Never create what we could not store: it would be an orphan on the hub.
        return Action(Verdict.KEYCHAIN_UNAVAILABLE)
    if observation is Observation.RATE_LIMITED:
        return Action(Verdict.BACK_OFF, until=backoff_until(retry_at, now))
    if observation in (
        Observation.SESSION_EXPIRED,
        Observation.SESSION_REJECTED,
        Observation.SESSION_ENDED,
    ):
        return Action(Verdict.PAUSE_SESSION)
    if observation is Observation.UNREACHABLE:
        return Action(Verdict.OFFLINE)
    if observation is Observation.INACTIVE:
        return Action(Verdict.REPORT_INACTIVE)

    if observation is Observation.DISPLACED and not displace:
        return Action(Verdict.REPORT_DISPLACED)

    if observation is Observation.PRESENT:
        if secret is SecretState.PRESENT:
            return Action(Verdict.HEALTHY)
        reason = CreateReason.SECRET_LOST
    else:
        reason = _CREATE_ON[observation]

    if retry_at is not None and retry_at > now:
        return Action(Verdict.BACK_OFF, until=retry_at)
    allowed = creation_allowed_at(attempts, now, explicit=explicit)
    if allowed > now:
        return Action(Verdict.WAIT_FOR_BUDGET, reason=reason, until=allowed)
    return Action(Verdict.CREATE, reason=reason)
