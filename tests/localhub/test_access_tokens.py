"""The PAT routes: create, list (pagination), get, patch, delete, and their errors."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

import pytest

from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock
from tests.localhub.client import HubClient

TOKEN_FIELDS = {
    "uuid",
    "client_id",
    "creator_ip",
    "creator_ua",
    "created_at",
    "last_used",
    "generated_by",
    "is_active",
    "token",
    "token_label",
    "scopes",
    "expires_at",
}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
PAT_FORBIDDEN = "access to the resource is forbidden with personal access token"


def test_create_returns_the_secret_once(
    client: HubClient, session: str, hub_clock: HubClock
) -> None:
    expiry = (hub_clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    created = client.create(session, "laptop", scopes=["repo:write"], expires_at=expiry)
    assert set(created) == TOKEN_FIELDS
    assert re.fullmatch(r"dckr_pat_[A-Za-z0-9_-]{27}", created["token"])
    assert created["token_label"] == "laptop"
    assert created["scopes"] == ["repo:write"]
    assert created["expires_at"] == expiry
    assert created["client_id"] == "HUB"
    assert created["creator_ip"] == "127.0.0.1"
    assert created["creator_ua"] == "localhub-tests/1"
    assert created["generated_by"] == "manual"
    assert created["is_active"] is True
    assert created["last_used"] is None
    assert TIME.fullmatch(created["created_at"])
    shown = client.call("GET", f"/v2/access-tokens/{created['uuid']}", token=session)
    assert shown.status == 200
    assert shown.json() == {**created, "token": ""}
    # The secret works as a password, for this user only.
    assert client.login("alice", created["token"])


def test_create_without_expiry_never_expires(client: HubClient, session: str) -> None:
    assert client.create(session)["expires_at"] is None
    assert client.create(session, expires_at=None)["expires_at"] is None


def test_list_envelope_and_order(
    local_hub: LocalHub, client: HubClient, session: str, hub_clock: HubClock
) -> None:
    empty = client.call("GET", "/v2/access-tokens", token=session)
    assert empty.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "active_count": 0,
        "results": [],
    }
    made = []
    for label in ("first", "second", "third"):
        made.append(client.create(session, label)["uuid"])
        hub_clock.advance(1)
    local_hub.set_token_active(made[1], False)
    listing = client.call("GET", "/v2/access-tokens/", token=session).json()
    assert listing["count"] == 3
    assert listing["active_count"] == 2
    assert [t["uuid"] for t in listing["results"]] == made[::-1]  # newest first
    assert all(t["token"] == "" for t in listing["results"])
    assert listing["results"] == local_hub.tokens("alice")


def test_ties_in_creation_time_are_ordered_by_uuid(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    made = [local_hub.create_token("alice", f"same time {i}")[0] for i in range(5)]
    listing = client.call("GET", "/v2/access-tokens", token=session).json()
    assert [t["uuid"] for t in listing["results"]] == sorted(made)


def test_pagination_follows_absolute_next_links(
    local_hub: LocalHub, client: HubClient, session: str, hub_clock: HubClock
) -> None:
    for i in range(250):
        local_hub.create_token("alice", f"token {i:03}")
        hub_clock.advance(0.001)
    base = local_hub.url
    first = client.call("GET", "/v2/access-tokens?page_size=100", token=session).json()
    assert first["count"] == 250 and first["previous"] is None
    assert first["next"] == f"{base}/v2/access-tokens?page=2&page_size=100"
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    url = f"{base}/v2/access-tokens?page_size=100"
    while url:
        assert url.startswith(base)
        page = client.call("GET", url.removeprefix(base), token=session).json()
        pages.append(page)
        seen.extend(t["token_label"] for t in page["results"])
        url = page["next"]
    assert seen == [f"token {i:03}" for i in reversed(range(250))]
    assert [len(p["results"]) for p in pages] == [100, 100, 50]
    assert pages[2]["previous"] == f"{base}/v2/access-tokens?page=2&page_size=100"
    assert pages[1]["previous"] == f"{base}/v2/access-tokens?page=1&page_size=100"
    default = client.call("GET", "/v2/access-tokens", token=session).json()
    assert len(default["results"]) == 10
    assert default["next"] == f"{base}/v2/access-tokens?page=2&page_size=10"
    capped = client.call("GET", "/v2/access-tokens?page_size=500", token=session).json()
    assert len(capped["results"]) == 100
    past_end = client.call("GET", "/v2/access-tokens?page=4&page_size=100", token=session)
    assert (past_end.status, past_end.json()["detail"]) == (404, "Invalid page.")


def test_next_links_use_the_host_the_client_used(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    for i in range(3):
        local_hub.create_token("alice", f"t{i}")
    reply = client.call(
        "GET", "/v2/access-tokens?page_size=2", token=session, headers={"Host": "hub.example:8080"}
    )
    assert reply.json()["next"] == "http://hub.example:8080/v2/access-tokens?page=2&page_size=2"


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "page_size=0", "page_size=-5", "page_size=ten"]
)
def test_bad_paging_is_400(client: HubClient, session: str, query: str) -> None:
    reply = client.call("GET", f"/v2/access-tokens?{query}", token=session)
    assert reply.status == 400
    body = reply.json()
    assert set(body) == {"fields", "text"}
    assert list(body["fields"]) == [query.split("=")[0]]


def test_patch_label_and_activity(client: HubClient, session: str) -> None:
    token = client.create(session, "old name")
    path = f"/v2/access-tokens/{token['uuid']}"
    renamed = client.call("PATCH", path, {"token_label": "new name"}, token=session)
    assert renamed.status == 200
    assert renamed.json() == {**token, "token": "", "token_label": "new name"}
    off = client.call("PATCH", path + "/", {"is_active": False}, token=session)
    assert off.json()["is_active"] is False
    both = client.call("PATCH", path, {"is_active": True, "token_label": "x"}, token=session)
    assert (both.json()["is_active"], both.json()["token_label"]) == (True, "x")


def test_delete(local_hub: LocalHub, client: HubClient, session: str) -> None:
    token = client.create(session)
    path = f"/v2/access-tokens/{token['uuid']}"
    deleted = client.call("DELETE", path, token=session)
    assert (deleted.status, deleted.body) == (204, b"")
    assert "content-type" not in deleted.headers
    assert local_hub.tokens("alice") == []
    for method in ("GET", "DELETE"):
        assert client.call(method, path, token=session).status == 404
    assert client.call("PATCH", path, {"is_active": True}, token=session).status == 404


def test_someone_elses_token_is_not_found(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    bob_password = secrets.token_urlsafe(12)
    local_hub.add_user("bob", bob_password)
    bobs_uuid, _ = local_hub.create_token("bob", "bob's")
    path = f"/v2/access-tokens/{bobs_uuid}"
    for method, body in (("GET", None), ("PATCH", {"is_active": False}), ("DELETE", None)):
        reply = client.call(method, path, body, token=session)
        assert (reply.status, reply.json()["detail"]) == (404, "Not found")
    assert local_hub.tokens("bob")[0]["is_active"] is True
    bob = client.login("bob", bob_password)
    assert client.call("GET", "/v2/access-tokens", token=bob).json()["count"] == 1
    assert client.call("GET", "/v2/access-tokens", token=session).json()["count"] == 0
    assert client.call("GET", f"/v2/access-tokens/{uuid.uuid4()}", token=session).status == 404


def test_pat_sessions_are_forbidden_on_every_token_route(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    token_uuid, secret = local_hub.create_token("alice", "ci", scopes=("repo:admin",))
    for pat_session in (
        client.login("alice", secret),
        client.call("POST", "/v2/auth/token", {"identifier": "alice", "secret": secret}).json()[
            "access_token"
        ],
    ):
        path = f"/v2/access-tokens/{token_uuid}"
        for method, route, body in (
            ("GET", "/v2/access-tokens", None),
            ("POST", "/v2/access-tokens", {"token_label": "x", "scopes": ["repo:read"]}),
            ("GET", path, None),
            ("PATCH", path, {"is_active": False}),
            ("DELETE", path, None),
        ):
            reply = client.call(method, route, body, token=pat_session)
            assert reply.status == 403
            assert reply.json() == {"detail": PAT_FORBIDDEN, "message": PAT_FORBIDDEN}
    assert len(local_hub.tokens("alice")) == 1


def test_token_routes_need_a_session(client: HubClient) -> None:
    reply = client.call("GET", "/v2/access-tokens")
    assert reply.status == 401
    assert reply.json()["detail"] == "Authentication credentials were not provided."


CREATE_PROBLEMS: list[tuple[Any, str]] = [
    ({"scopes": ["repo:read"]}, "token_label"),
    ({"token_label": "", "scopes": ["repo:read"]}, "token_label"),
    ({"token_label": "x" * 101, "scopes": ["repo:read"]}, "token_label"),
    ({"token_label": 7, "scopes": ["repo:read"]}, "token_label"),
    ({"token_label": "x"}, "scopes"),
    ({"token_label": "x", "scopes": []}, "scopes"),
    ({"token_label": "x", "scopes": "repo:read"}, "scopes"),
    ({"token_label": "x", "scopes": ["repo:everything"]}, "scopes"),
    ({"token_label": "x", "scopes": ["repo:read"], "expires_at": "tomorrow"}, "expires_at"),
    ({"token_label": "x", "scopes": ["repo:read"], "expires_at": 1700000000}, "expires_at"),
    (
        {"token_label": "x", "scopes": ["repo:read"], "expires_at": "2001-01-01T00:00:00Z"},
        "expires_at",
    ),
]


@pytest.mark.parametrize(("payload", "field"), CREATE_PROBLEMS)
def test_create_validation(client: HubClient, session: str, payload: Any, field: str) -> None:
    reply = client.call("POST", "/v2/access-tokens", payload, token=session)
    assert reply.status == 400
    body = reply.json()
    assert list(body["fields"]) == [field]
    assert isinstance(body["fields"][field][0], str) and body["text"]


def test_create_expiry_limits(client: HubClient, session: str, hub_clock: HubClock) -> None:
    def expiring_in(delta: timedelta) -> int:
        when = (hub_clock.now() + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload = {"token_label": "x", "scopes": ["repo:read"], "expires_at": when}
        return client.call("POST", "/v2/access-tokens", payload, token=session).status

    assert expiring_in(timedelta(days=366)) == 201
    assert expiring_in(timedelta(days=366, seconds=1)) == 400
    assert expiring_in(timedelta(seconds=1)) == 201
    assert expiring_in(timedelta(0)) == 400
    assert expiring_in(-timedelta(days=1)) == 400


def test_label_of_exactly_100_characters_and_every_scope_are_accepted(
    client: HubClient, session: str
) -> None:
    for scope in ("repo:public_read", "repo:read", "repo:write", "repo:admin"):
        assert client.create(session, "y" * 100, scopes=[scope])["scopes"] == [scope]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, None),
        ({"token_label": ""}, "token_label"),
        ({"token_label": "x" * 101}, "token_label"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": 1}, "is_active"),
    ],
)
def test_patch_validation(client: HubClient, session: str, payload: Any, field: str | None) -> None:
    token = client.create(session)
    reply = client.call("PATCH", f"/v2/access-tokens/{token['uuid']}", payload, token=session)
    assert reply.status == 400
    assert list(reply.json()["fields"]) == ([field] if field else [])


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'"label"', b"\xff"])
def test_malformed_or_non_object_bodies_are_400(
    client: HubClient, session: str, body: bytes
) -> None:
    reply = client.call("POST", "/v2/access-tokens", token=session, body=body)
    assert reply.status == 400
    assert set(reply.json()) == {"fields", "text"}


def test_unknown_routes_and_methods(client: HubClient, session: str) -> None:
    missing = client.call("GET", "/v2/repositories/alice", token=session)
    assert (missing.status, missing.json()["detail"]) == (404, "Not found")
    wrong = client.call("PUT", "/v2/access-tokens", {"x": 1}, token=session)
    assert wrong.status == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert client.call("GET", "/v2/users/login").status == 405
    assert client.call("POST", f"/v2/access-tokens/{uuid.uuid4()}", {}, token=session).status == 405
