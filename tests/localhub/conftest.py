"""Fixtures for talking to the local_hub fixture over HTTP."""

from __future__ import annotations

import pytest

from hubtokens.localhub import LocalHub
from tests.localhub.client import HubClient


@pytest.fixture
def client(local_hub: LocalHub) -> HubClient:
    return HubClient(local_hub.url)


@pytest.fixture
def session(client: HubClient, alice_password: str) -> str:
    """A password-based session JWT for alice: allowed to manage tokens."""
    return client.login("alice", alice_password)
