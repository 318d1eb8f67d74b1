"""Create, read, update and delete against a real localhub."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hubtokens.core.errors import InvalidRequest, NotFound
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import Scope, SessionToken
from hubtokens.core.labels import auto_label
from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock

MISSING = "b30bbf97-506c-4ecd-aabc-842f3cb484fb"


def test_create_get_update_delete(
    client: HubClient, session: SessionToken, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    created = client.create_token(session, "laptop", [Scope.WRITE])
    token = created.token
    assert created.secret  # shown only this once
    assert token.label == "laptop"
    assert token.scopes == ("repo:write",)
    assert token.is_active
    assert token.expires_at is None
    assert token.created_at == hub_clock.now().replace(microsecond=token.created_at.microsecond)
    assert token.creator_ua.startswith("hubtokens/")
    assert [t["uuid"] for t in local_hub.tokens("alice")] == [token.uuid]

    assert client.get_token(session, token.uuid) == token

    renamed = client.update_token(session, token.uuid, label="work laptop")
    assert (renamed.label, renamed.is_active) == ("work laptop", True)
    inactive = client.update_token(session, token.uuid.upper(), is_active=False)
    assert (inactive.label, inactive.is_active) == ("work laptop", False)
    both = client.update_token(session, token.uuid, label="old laptop", is_active=True)
    assert (both.label, both.is_active) == ("old laptop", True)

    client.delete_token(session, token.uuid)
    assert local_hub.tokens("alice") == []
    with pytest.raises(NotFound):
        client.get_token(session, token.uuid)
    assert local_hub.request_log[-2][::2] == ("DELETE", 204)


def test_create_with_expiry(client: HubClient, session: SessionToken, hub_clock: HubClock) -> None:
    expires_at = hub_clock.now() + timedelta(days=30)

    token = client.create_token(session, auto_label("host"), [Scope.ADMIN], expires_at).token

    assert token.expires_at is not None
    assert abs(token.expires_at - expires_at) < timedelta(milliseconds=1)


def test_hub_rejects_expiry_beyond_a_year(
    client: HubClient, session: SessionToken, hub_clock: HubClock
) -> None:
    with pytest.raises(InvalidRequest) as info:
        client.create_token(session, "far", [Scope.READ], hub_clock.now() + timedelta(days=400))
    assert info.value.status == 400
    assert list(info.value.fields) == ["expires_at"]
    assert "within 366 days" in info.value.fields["expires_at"][0]
    assert "expires_at" in info.value.message


@pytest.mark.parametrize("call", ["get", "update", "delete"])
def test_missing_token(client: HubClient, session: SessionToken, call: str) -> None:
    with pytest.raises(NotFound) as info:
        if call == "get":
            client.get_token(session, MISSING)
        elif call == "update":
            client.update_token(session, MISSING, is_active=False)
        else:
            client.delete_token(session, MISSING)
    assert info.value.status == 404
    assert info.value.message == "Not found"


def test_tokens_of_another_user_are_invisible(
    client: HubClient, session: SessionToken, local_hub: LocalHub, alice_password: str
) -> None:
    local_hub.add_user("carol", alice_password)
    theirs, _ = local_hub.create_token("carol", "carol's")

    with pytest.raises(NotFound):
        client.get_token(session, theirs)
