"""Request budgets: headers on every reply, 429 past the budget, three Retry-After styles."""

from __future__ import annotations

import math
import secrets
from email.utils import parsedate_to_datetime

import pytest

from tests.fixtures.localhub import HubClock, HubFactory
from tests.localhub.client import HubClient

RATE_LIMITED = {"detail": "Rate limit exceeded", "error": False}


def test_every_reply_carries_the_budget(
    client: HubClient, session: str, hub_clock: HubClock
) -> None:
    replies = [
        client.call("GET", "/v2/access-tokens", token=session),
        client.call("GET", "/v2/access-tokens"),
        client.call("GET", "/nowhere", token=session),
        client.call("POST", "/v2/users/login", {"username": "x", "password": "y"}),
    ]
    for reply in replies:
        assert reply.headers["x-ratelimit-limit"] == "600"
        assert int(reply.headers["x-ratelimit-reset"]) >= hub_clock.now().timestamp()
    # alice's budget and the anonymous (per address) one, where her sign-in counted, are apart.
    assert [r.headers["x-ratelimit-remaining"] for r in replies] == ["599", "598", "598", "597"]


def test_requests_past_the_budget_get_429_until_the_window_resets(
    make_hub: HubFactory, alice_password: str, hub_clock: HubClock
) -> None:
    hub = make_hub(requests_per_minute=3)
    bob_password = secrets.token_urlsafe(12)
    hub.add_user("bob", bob_password)
    client = HubClient(hub.url)
    alice, bob = client.login("alice", alice_password), client.login("bob", bob_password)
    for remaining in ("2", "1", "0"):
        reply = client.call("GET", "/v2/access-tokens", token=alice)
        assert (reply.status, reply.headers["x-ratelimit-remaining"]) == (200, remaining)
    limited = client.call("GET", "/v2/access-tokens", token=alice)
    assert (limited.status, limited.json()) == (429, RATE_LIMITED)
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["retry-after"] == "60"
    assert client.call("GET", "/v2/access-tokens", token=bob).status == 200  # per account
    assert client.call("POST", "/v2/users/login", {"username": "x", "password": "y"}).status == 401
    assert client.call("POST", "/v2/users/login", {"username": "x", "password": "y"}).status == 429
    hub_clock.advance(45)
    assert client.call("GET", "/v2/access-tokens", token=alice).headers["retry-after"] == "15"
    hub_clock.advance(15)
    assert client.call("GET", "/v2/access-tokens", token=alice).status == 200
    assert ("GET", "/v2/access-tokens", 429) in hub.request_log


def test_token_creation_has_its_own_tighter_budget(
    make_hub: HubFactory, alice_password: str, hub_clock: HubClock
) -> None:
    hub = make_hub(creates_per_hour=2)
    client = HubClient(hub.url)
    session = client.login("alice", alice_password)
    for remaining in ("1", "0"):
        reply = client.call(
            "POST",
            "/v2/access-tokens",
            {"token_label": "t", "scopes": ["repo:read"]},
            token=session,
        )
        assert reply.status == 201
        assert reply.headers["x-ratelimit-limit"] == "2"
        assert reply.headers["x-ratelimit-remaining"] == remaining
    blocked = client.call(
        "POST", "/v2/access-tokens/", {"token_label": "t", "scopes": ["repo:read"]}, token=session
    )
    assert (blocked.status, blocked.json()) == (429, RATE_LIMITED)
    assert blocked.headers["retry-after"] == "3600"
    assert len(hub.tokens("alice")) == 2
    listing = client.call("GET", "/v2/access-tokens", token=session)
    assert listing.status == 200  # other calls keep their own budget
    assert listing.headers["x-ratelimit-limit"] == "600"
    hub_clock.advance(3600)
    assert client.create(session)["token"]


@pytest.mark.parametrize("style", ["seconds", "http-date", "x-retry-after"])
def test_retry_after_styles(
    make_hub: HubFactory, alice_password: str, hub_clock: HubClock, style: str
) -> None:
    hub = make_hub(requests_per_minute=1, retry_after_style=style)
    client = HubClient(hub.url)
    client.call("GET", "/v2/access-tokens")
    limited = client.call("GET", "/v2/access-tokens")
    assert limited.status == 429
    reset = int(limited.headers["x-ratelimit-reset"])
    assert reset == math.ceil(hub_clock.now().timestamp() + 60)
    if style == "seconds":
        assert limited.headers["retry-after"] == "60"
        assert "x-retry-after" not in limited.headers
    elif style == "http-date":
        assert parsedate_to_datetime(limited.headers["retry-after"]).timestamp() == reset
    else:
        assert limited.headers["x-retry-after"] == str(reset)
        assert "retry-after" not in limited.headers
