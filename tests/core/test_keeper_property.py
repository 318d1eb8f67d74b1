"""THE keeper property: whatever the hub, the keychain and the clock do, the keeper never piles
up tokens, never exceeds its creation budget, and heals once the weather clears.

Each example is a random story of up to 25 events against a fresh local hub (real HTTP) and an
in-memory keychain; the invariants are checked after every event on the hub's own records.
"""

from __future__ import annotations

import itertools
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st
from keyring.errors import KeyringLocked

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.keeper import Keeper, SignInResult
from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.secret import Secret
from hubtokens.core.vault import Vault
from hubtokens.localhub import Fault, HubConfig, LocalHub
from tests.core.keeper_support import (
    HUB_CHANGES,
    TOKENS,
    USER,
    SwitchableKeyring,
    change_on_the_hub,
    creates,
    drop_keychain_item,
    keychain_item,
    make_keeper,
    ours,
    recorded_token,
    recorded_uuid,
)
from tests.fixtures.localhub import HubClock

TEN_MINUTES = timedelta(minutes=10)
DAY = timedelta(days=1)

Event = tuple[str, int]

FAULTS = ("500", "drop", "drop_after_commit")


def _just(kind: str) -> st.SearchStrategy[Event]:
    return st.just((kind, 0))


# Each branch is about equally likely: reconciles and clock moves are the commonest events.
events: st.SearchStrategy[Event] = st.one_of(
    _just("delete"),
    st.sampled_from([("deactivate", 0), ("activate", 0)]),
    _just("expire"),
    _just("lose_secret"),
    st.sampled_from([("keychain_down", 0), ("keychain_up", 0)]),
    st.tuples(st.just("fault"), st.integers(0, len(FAULTS) - 1))
    | st.tuples(st.just("rate_limit"), st.integers(0, 3600)),  # 429 with Retry-After: seconds
    # 0-3 h, often just past the 10-minute spacing so that budgets are really tested
    st.tuples(st.just("advance"), st.integers(0, 3 * 3600)),
    st.tuples(st.just("advance"), st.sampled_from([60, 11 * 60, 3600])),
    _just("reconcile"),
    _just("reconcile"),
    _just("reconcile"),
)


@dataclass
class World:
    hub: LocalHub
    clock: HubClock
    keyring: SwitchableKeyring
    keeper: Keeper
    # (clock time) of every creation request the hub has seen, in order.
    create_times: list[datetime] = field(default_factory=list)
    seen_creates: int = 0
    keychain_down: bool = False
    retry_after: int | None = None  # seconds of the last injected 429
    retry_until: datetime | None = None  # when the keeper said it would ask again

    @property
    def url(self) -> str:
        return self.hub.url

    def record_uuid(self) -> str | None:
        return recorded_uuid(self.keeper, self.url)

    def recorded_token(self) -> dict[str, Any] | None:
        return recorded_token(self.keeper, self.hub)

    def note_creates(self) -> int:
        """Timestamp the creation requests made since the last call; how many there were."""
        posted = len(creates(self.hub))
        new = posted - self.seen_creates
        self.create_times += [self.clock.now()] * new
        self.seen_creates = posted
        return new


def _apply(world: World, event: Event) -> None:
    kind, arg = event
    hub, now = world.hub, world.clock.now()
    token = world.recorded_token()
    if kind in HUB_CHANGES:
        change_on_the_hub(hub, kind, token, now)
    elif kind == "lose_secret":
        drop_keychain_item(world.keyring, "auto-token", world.url)
    elif kind == "keychain_down":
        world.keyring.fail_with(KeyringLocked("the keychain is locked"))
        world.keychain_down = True
    elif kind == "keychain_up":
        world.keyring.fail_with(None)
        world.keychain_down = False
    elif kind == "fault":
        name = FAULTS[arg]
        if name == "500":
            hub.set_faults(Fault("error", value=500, count=1))
        elif name == "drop":
            hub.set_faults(Fault("drop", count=1))
        else:
            hub.set_faults(Fault("drop_after_commit", path=TOKENS, method="POST", count=1))
    elif kind == "rate_limit":
        hub.set_faults(Fault("rate_limit", value=float(arg), count=1))
        world.retry_after = arg
    elif kind == "advance":
        world.clock.advance(arg)
    elif kind == "reconcile":
        _reconcile(world)


def _reconcile(world: World) -> None:
    hub = world.hub
    keychain_down = world.keychain_down
    token = world.recorded_token()
    secret_held = keychain_item(world.keyring, "auto-token", world.url) is not None
    now = world.clock.now()
    usable = (
        token is not None
        and token["is_active"]
        and not _expired(token, now)
        and secret_held
        and not keychain_down
    )
    inactive = token is not None and not token["is_active"] and not _expired(token, now)
    log_before = len(hub.request_log)

    report = world.keeper.reconcile(world.url)  # never raises, whatever happened

    made = world.note_creates()
    requests = hub.request_log[log_before:]
    statuses = [status for _, _, status in requests]
    if world.retry_until is not None and now < world.retry_until:
        # Retry-After is obeyed: until then the hub is not asked anything.
        assert requests == [], f"asked the hub {requests} before its Retry-After"
        assert report.action.verdict is not Verdict.CREATE
    if 429 in statuses:
        # The hub's Retry-After becomes the keeper's own "not before".
        assert world.retry_after is not None
        expected = now + timedelta(seconds=world.retry_after)
        assert report.next_check_at is not None
        assert report.next_check_at >= expected - timedelta(seconds=1)
        if report.action.verdict is Verdict.BACK_OFF:
            assert report.action.until is not None
            assert abs((report.action.until - expected).total_seconds()) <= 1
        world.retry_until = expected - timedelta(seconds=1)
    clean = all(200 <= status < 400 for status in statuses)
    if clean and report.action.verdict in (
        Verdict.HEALTHY,
        Verdict.CREATE,
        Verdict.WAIT_FOR_BUDGET,
        Verdict.REPORT_INACTIVE,
    ):
        # A reconcile the hub fully answered leaves no orphan behind.
        record = world.keeper.account(world.url)
        assert record is not None and record.pending_create is None, "orphan not cleaned up"
        assert len(ours(hub)) <= 1
    if keychain_down:
        # Nothing is created that could not be stored; the hub is not even asked.
        assert report.action.verdict is Verdict.KEYCHAIN_UNAVAILABLE
        assert hub.request_log[log_before:] == []
    if usable or inactive:
        # A working token is never replaced, nor one the person deactivated.
        assert made == 0, f"created a token over a {'usable' if usable else 'deactivated'} one"
    assert made <= 1
    if report.action.until is not None:
        assert report.action.until >= now


def _expired(token: dict[str, Any], now: datetime) -> bool:
    expires = token["expires_at"]
    return expires is not None and datetime.fromisoformat(expires.replace("Z", "+00:00")) <= now


def _check_invariants(world: World) -> None:
    # 1. At most one token carries our label; a second only after a create whose answer was
    #    lost (status 0 in the hub's log), and only while the keeper knows it may have one.
    count = len(ours(world.hub))
    if count > 1:
        record = world.keeper.account(world.url)
        lost_answer = any(status == 0 for _, _, status in creates(world.hub))
        assert count == 2 and lost_answer and record is not None, f"{count} auto tokens"
        assert record.pending_create is not None, "an orphan the keeper has forgotten"
    # 2. The creation budget: 10 minutes apart, at most 3 in any 24 hours.
    times = world.create_times
    for earlier, later in itertools.pairwise(times):
        assert later - earlier >= TEN_MINUTES, f"two creations {later - earlier} apart"
    for first, fourth in zip(times, times[3:], strict=False):
        assert fourth - first >= DAY, f"four creations within {fourth - first}"


def _converge(world: World) -> None:
    """The weather clears: no faults, keychain back, token reactivated, budget refilled."""
    world.hub.clear_faults()
    world.keyring.fail_with(None)
    world.keychain_down = False
    token = world.recorded_token()
    if token is not None and not token["is_active"]:
        world.hub.set_token_active(token["uuid"], True)
    world.clock.advance(25 * 3600)
    world.keeper.reconcile(world.url)
    world.note_creates()
    _check_invariants(world)
    report = world.keeper.reconcile(world.url)
    world.note_creates()
    _check_invariants(world)

    assert report.action.verdict is Verdict.HEALTHY, report.message
    [token] = ours(world.hub)
    assert token["uuid"] == world.record_uuid()
    assert token["is_active"] and not _expired(token, world.clock.now())
    secret = keychain_item(world.keyring, "auto-token", world.url)
    assert secret is not None
    # The secret in the keychain is that token's: the hub signs us in with it.
    client = HubClient(world.url, timeout=(1, 2), clock=world.clock.now)
    session = client.login(USER, Secret(secret))
    assert isinstance(session, SessionToken) and session.from_pat


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(story=st.lists(events, max_size=25))
def test_the_keeper_never_piles_up_tokens_and_always_heals(story: list[Event]) -> None:
    clock = HubClock(datetime.now(UTC))
    password = secrets.token_urlsafe(16)
    hub = LocalHub(HubConfig(clock=clock.now, seed=0)).start()
    keyring = SwitchableKeyring()
    try:
        with tempfile.TemporaryDirectory() as folder:
            hub.add_user(USER, password)
            keeper = make_keeper(Path(folder), Vault(keyring, deadline=1.0), clock.now)
            signed_in = keeper.sign_in(hub.url, USER, Secret(password))
            assert isinstance(signed_in, SignInResult)
            world = World(hub, clock, keyring, keeper)
            world.note_creates()
            assert len(ours(hub)) == 1
            for event in story:
                _apply(world, event)
                _check_invariants(world)
            # Steer towards stories that make the keeper create often: budgets get tested.
            target(float(len(world.create_times)), label="creations")
            _converge(world)
    finally:
        keyring.release()
        hub.stop()
