from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.secret import Secret
from hubtokens.localhub import LocalHub
from tests.core.hub.jwts import unsigned_jwt
from tests.core.hub.scripted import ScriptedHub, scripted_hub
from tests.fixtures.localhub import HubClock


@pytest.fixture
def offline_session() -> SessionToken:
    """A well-formed session JWT made up at run time, for servers that do not check it."""
    claims = {"sub": "alice", "exp": int(time.time()) + 3600}
    return SessionToken.from_jwt(unsigned_jwt(claims))


@pytest.fixture
def scripted() -> Iterator[ScriptedHub]:
    with scripted_hub() as hub:
        yield hub


@pytest.fixture
def client(local_hub: LocalHub, hub_clock: HubClock) -> HubClient:
    return HubClient(local_hub.url, clock=hub_clock.now)


@pytest.fixture
def session(client: HubClient, alice_password: str) -> SessionToken:
    signed_in = client.login("alice", Secret(alice_password))
    assert isinstance(signed_in, SessionToken)
    return signed_in


@pytest.fixture
def pat_session(client: HubClient, local_hub: LocalHub) -> SessionToken:
    """A session from signing in with a PAT: the Hub lets it pull, not manage tokens."""
    _, secret = local_hub.create_token("alice", "ci", scopes=("repo:admin",))
    signed_in = client.auth_token("alice", Secret(secret))
    assert isinstance(signed_in, SessionToken)
    return signed_in
