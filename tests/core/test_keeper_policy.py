"""The keeper's pure decision (DESIGN.md "The keeper"): one test per rule, then properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubtokens.core.keeper.policy import (
    DAILY_LIMIT,
    DAILY_WINDOW,
    DEFAULT_BACKOFF,
    MIN_INTERVAL,
    Action,
    CreateReason,
    Observation,
    SecretState,
    Verdict,
    creation_allowed_at,
    decide,
    next_creation_allowed,
    prune_attempts,
)

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)

#: The observations that prove our token is gone or useless (with the reason they give).
PROOF = {
    Observation.NONE_RECORDED: CreateReason.FIRST,
    Observation.MISSING: CreateReason.DELETED_ON_HUB,
    Observation.EXPIRED: CreateReason.EXPIRED,
}
NEVER_CREATE = (
    Observation.UNREACHABLE,
    Observation.RATE_LIMITED,
    Observation.SESSION_EXPIRED,
    Observation.SESSION_REJECTED,
    Observation.NOT_CHECKED,
    Observation.INACTIVE,
)


def test_rule_constants_match_the_design() -> None:
    assert timedelta(minutes=10) == MIN_INTERVAL
    assert timedelta(days=1) == DAILY_WINDOW
    assert DAILY_LIMIT == 3


# --- create only on proof ---------------------------------------------------------------------


@pytest.mark.parametrize("observation", list(PROOF))
@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_proof_creates_with_its_reason(observation: Observation, secret: SecretState) -> None:
    action = decide(observation, secret, attempts=(), now=NOW)
    assert action == Action(Verdict.CREATE, reason=PROOF[observation])


def test_present_token_with_its_secret_is_healthy() -> None:
    action = decide(Observation.PRESENT, SecretState.PRESENT, attempts=(), now=NOW)
    assert action == Action(Verdict.HEALTHY)


def test_present_token_whose_secret_is_missing_is_recreated() -> None:
    action = decide(Observation.PRESENT, SecretState.MISSING, attempts=(), now=NOW)
    assert action == Action(Verdict.CREATE, reason=CreateReason.SECRET_LOST)


@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_unreachable_never_creates(secret: SecretState) -> None:
    action = decide(Observation.UNREACHABLE, secret, attempts=(), now=NOW)
    assert action == Action(Verdict.OFFLINE)


@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_rate_limited_never_creates_and_backs_off(secret: SecretState) -> None:
    retry_at = NOW + timedelta(seconds=90)
    action = decide(Observation.RATE_LIMITED, secret, attempts=(), now=NOW, retry_at=retry_at)
    assert action == Action(Verdict.BACK_OFF, until=retry_at)


def test_rate_limited_without_retry_after_uses_the_default_backoff() -> None:
    action = decide(Observation.RATE_LIMITED, SecretState.MISSING, attempts=(), now=NOW)
    assert action == Action(Verdict.BACK_OFF, until=NOW + DEFAULT_BACKOFF)


def test_rate_limited_with_a_past_retry_after_never_reports_a_past_until() -> None:
    action = decide(
        Observation.RATE_LIMITED,
        SecretState.MISSING,
        attempts=(),
        now=NOW,
        retry_at=NOW - timedelta(seconds=5),
    )
    assert action.verdict is Verdict.BACK_OFF
    assert action.until is not None and action.until >= NOW


@pytest.mark.parametrize("observation", [Observation.SESSION_EXPIRED, Observation.SESSION_REJECTED])
@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_session_problems_pause_and_never_create(
    observation: Observation, secret: SecretState
) -> None:
    action = decide(observation, secret, attempts=(), now=NOW, explicit=True)
    assert action == Action(Verdict.PAUSE_SESSION)


# --- deactivated tokens are reported, not replaced --------------------------------------------


@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_inactive_is_reported_not_replaced(secret: SecretState) -> None:
    action = decide(Observation.INACTIVE, secret, attempts=(), now=NOW, explicit=True)
    assert action == Action(Verdict.REPORT_INACTIVE)


# --- keychain unavailable ---------------------------------------------------------------------


@pytest.mark.parametrize("observation", list(Observation))
def test_unavailable_keychain_never_creates(observation: Observation) -> None:
    action = decide(observation, SecretState.UNAVAILABLE, attempts=(), now=NOW, explicit=True)
    assert action == Action(Verdict.KEYCHAIN_UNAVAILABLE)


@pytest.mark.parametrize("secret", [SecretState.PRESENT, SecretState.MISSING])
def test_not_checked_never_creates(secret: SecretState) -> None:
    action = decide(Observation.NOT_CHECKED, secret, attempts=(), now=NOW)
    assert action == Action(Verdict.KEYCHAIN_UNAVAILABLE)


# --- the creation budget ----------------------------------------------------------------------


def test_no_attempts_allow_creation_now() -> None:
    assert next_creation_allowed((), NOW) == NOW


def test_ten_minute_spacing_gives_the_exact_time() -> None:
    last = NOW - 3 * MIN
    assert next_creation_allowed((last,), NOW) == last + MIN_INTERVAL
    action = decide(Observation.MISSING, SecretState.PRESENT, attempts=(last,), now=NOW)
    assert action == Action(
        Verdict.WAIT_FOR_BUDGET, reason=CreateReason.DELETED_ON_HUB, until=NOW + 7 * MIN
    )


def test_ten_minutes_after_the_last_attempt_creation_is_allowed() -> None:
    last = NOW - MIN_INTERVAL
    assert next_creation_allowed((last,), NOW) == NOW
    action = decide(Observation.MISSING, SecretState.PRESENT, attempts=(last,), now=NOW)
    assert action.verdict is Verdict.CREATE
    just_before = decide(
        Observation.MISSING, SecretState.PRESENT, attempts=(last,), now=NOW - timedelta(seconds=1)
    )
    assert just_before.verdict is Verdict.WAIT_FOR_BUDGET


def test_three_per_day_gives_the_exact_time() -> None:
    attempts = (NOW - timedelta(hours=20), NOW - timedelta(hours=5), NOW - timedelta(hours=1))
    # The oldest of the three leaves the 24 h window at 20 h ago + 24 h = 4 h from now.
    assert next_creation_allowed(attempts, NOW) == NOW + timedelta(hours=4)
    action = decide(Observation.EXPIRED, SecretState.MISSING, attempts=attempts, now=NOW)
    assert action == Action(
        Verdict.WAIT_FOR_BUDGET, reason=CreateReason.EXPIRED, until=NOW + timedelta(hours=4)
    )
    later = NOW + timedelta(hours=4)
    assert decide(Observation.EXPIRED, SecretState.MISSING, attempts=attempts, now=later) == (
        Action(Verdict.CREATE, reason=CreateReason.EXPIRED)
    )


def test_the_daily_limit_counts_only_the_three_most_recent() -> None:
    attempts = tuple(NOW - timedelta(hours=h) for h in (23, 22, 12, 2))
    # Four in the window; the third most recent (22 h ago) is the one that must age out.
    assert next_creation_allowed(attempts, NOW) == NOW - timedelta(hours=22) + DAILY_WINDOW


def test_attempts_older_than_a_day_do_not_count() -> None:
    attempts = tuple(NOW - timedelta(hours=h) for h in (30, 28, 25))
    assert next_creation_allowed(attempts, NOW) == NOW
    assert prune_attempts(attempts, NOW) == ()
    two_recent = (NOW - timedelta(hours=30), NOW - timedelta(hours=3), NOW - timedelta(hours=2))
    assert next_creation_allowed(two_recent, NOW) == NOW
    assert prune_attempts(two_recent, NOW) == two_recent[1:]


def test_budget_takes_the_later_of_both_limits() -> None:
    attempts = (NOW - timedelta(hours=23, minutes=55), NOW - 30 * MIN, NOW - 2 * MIN)
    # spacing: 8 minutes from now; daily: 5 minutes from now → 8 minutes.
    assert next_creation_allowed(attempts, NOW) == NOW + 8 * MIN


# --- Retry-After and explicit sign-in ---------------------------------------------------------


def test_retry_after_blocks_creation_until_then() -> None:
    retry_at = NOW + 2 * MIN
    action = decide(
        Observation.MISSING, SecretState.PRESENT, attempts=(), now=NOW, retry_at=retry_at
    )
    assert action == Action(Verdict.BACK_OFF, until=retry_at)
    passed = decide(
        Observation.MISSING, SecretState.PRESENT, attempts=(), now=retry_at, retry_at=retry_at
    )
    assert passed.verdict is Verdict.CREATE


def test_retry_after_wins_over_a_shorter_budget_wait() -> None:
    action = decide(
        Observation.MISSING,
        SecretState.PRESENT,
        attempts=(NOW - 9 * MIN,),
        now=NOW,
        retry_at=NOW + 5 * MIN,
    )
    assert action.verdict is Verdict.BACK_OFF
    assert action.until == NOW + 5 * MIN


def test_a_retry_after_does_not_disturb_a_healthy_token() -> None:
    action = decide(
        Observation.PRESENT, SecretState.PRESENT, attempts=(), now=NOW, retry_at=NOW + MIN
    )
    assert action == Action(Verdict.HEALTHY)


def test_explicit_sign_in_skips_the_budget() -> None:
    attempts = (NOW - 3 * MIN, NOW - timedelta(hours=2), NOW - timedelta(hours=3))
    automatic = decide(Observation.NONE_RECORDED, SecretState.MISSING, attempts=attempts, now=NOW)
    assert automatic.verdict is Verdict.WAIT_FOR_BUDGET
    explicit = decide(
        Observation.NONE_RECORDED, SecretState.MISSING, attempts=attempts, now=NOW, explicit=True
    )
    assert explicit == Action(Verdict.CREATE, reason=CreateReason.FIRST)


def test_explicit_sign_in_still_obeys_retry_after() -> None:
    retry_at = NOW + 4 * MIN
    action = decide(
        Observation.NONE_RECORDED,
        SecretState.MISSING,
        attempts=(),
        now=NOW,
        retry_at=retry_at,
        explicit=True,
    )
    assert action == Action(Verdict.BACK_OFF, until=retry_at)


# --- properties over all inputs ---------------------------------------------------------------

_times = st.datetimes(
    min_value=datetime(2025, 3, 10),
    max_value=datetime(2025, 3, 18),
    timezones=st.just(UTC),
)


@settings(max_examples=400, deadline=None)
@given(
    observation=st.sampled_from(Observation),
    secret=st.sampled_from(SecretState),
    attempts=st.lists(_times, max_size=6).map(tuple),
    now=_times,
    retry_at=st.none() | _times,
    explicit=st.booleans(),
)
def test_decide_properties(
    observation: Observation,
    secret: SecretState,
    attempts: tuple[datetime, ...],
    now: datetime,
    retry_at: datetime | None,
    explicit: bool,
) -> None:
    action = decide(
        observation, secret, attempts=attempts, now=now, retry_at=retry_at, explicit=explicit
    )
    proof = observation in PROOF or (
        observation is Observation.PRESENT and secret is SecretState.MISSING
    )
    if action.verdict is Verdict.CREATE:
        # Only on proof, never without a usable keychain, never before Retry-After.
        assert proof
        assert secret is not SecretState.UNAVAILABLE
        assert retry_at is None or retry_at <= now
        if not explicit:
            assert next_creation_allowed(attempts, now) <= now
        assert action.reason is not None
    if observation in NEVER_CREATE or secret is SecretState.UNAVAILABLE:
        assert action.verdict is not Verdict.CREATE
    if action.until is not None:
        assert action.until >= now
    if action.verdict is Verdict.WAIT_FOR_BUDGET:
        assert not explicit
        assert action.until is not None and action.until > now
    if proof and secret is not SecretState.UNAVAILABLE:
        # Proof always leads to creating or to a stated time for the next attempt.
        assert action.verdict in (Verdict.CREATE, Verdict.WAIT_FOR_BUDGET, Verdict.BACK_OFF)
        if action.verdict is not Verdict.CREATE:
            assert action.until is not None
        # What status promises (creation_allowed_at) is what decide does.
        allowed = creation_allowed_at(attempts, now, retry_at=retry_at, explicit=explicit)
        assert (action.verdict is Verdict.CREATE) == (allowed <= now)
        if action.verdict is not Verdict.CREATE:
            assert action.until is not None and action.until <= allowed


@settings(max_examples=300, deadline=None)
@given(attempts=st.lists(_times, max_size=8).map(tuple), now=_times)
def test_budget_properties(attempts: tuple[datetime, ...], now: datetime) -> None:
    allowed = next_creation_allowed(attempts, now)
    assert allowed >= now
    if attempts:
        assert allowed >= max(attempts) + MIN_INTERVAL
    # At the allowed time, adding one attempt keeps at most three in any 24 h window ending then.
    in_window = [t for t in attempts if allowed - DAILY_WINDOW < t <= allowed]
    assert len(in_window) < DAILY_LIMIT
    # And it is the earliest such time: a second before, the budget still says wait.
    if allowed > now:
        earlier = allowed - timedelta(seconds=1)
        assert next_creation_allowed(attempts, earlier) > earlier
