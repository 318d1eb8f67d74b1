"""Fixtures for talking to the local_hub fixture over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hubtokens.localhub import HubConfig, LocalHub
from tests.fixtures.localhub import HubClock
from tests.localhub.client import HubClient


@pytest.fixture
def client(local_hub: LocalHub) -> HubClient:
    return HubClient(local_hub.url)


@pytest.fixture
def session(client: HubClient, alice_password: str) -> str:
    """A password-based session JWT for alice: allowed to manage tokens."""
    return client.login("alice", alice_password)


HubFactory = Callable[..., LocalHub]


@pytest.fixture
def make_hub(hub_clock: HubClock, alice_password: str) -> Iterator[HubFactory]:
    """Start hubs with a custom config (on the shared test clock, with "alice"); all are
    stopped at the end of the test."""
    started: list[LocalHub] = []

    def make(**config: Any) -> LocalHub:
        hub = LocalHub(HubConfig(clock=hub_clock.now, seed=0, **config)).start()
        started.append(hub)
        hub.add_user("alice", alice_password)
        return hub

    yield make
    for hub in started:
        hub.stop()
