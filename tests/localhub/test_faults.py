"""Fault injection: every kind, and the filters that aim it (path, method, count, rate)."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import pytest

from hubtokens.localhub import Fault, LocalHub
from tests.localhub.client import HubClient

LIST = "/v2/access-tokens"
NEW_TOKEN = {"token_label": "t", "scopes": ["repo:read"]}


def test_latency_delays_but_answers(local_hub: LocalHub, client: HubClient, session: str) -> None:
    local_hub.set_faults(Fault("latency", value=0.2))
    started = time.perf_counter()
    reply = client.call("GET", LIST, token=session)
    assert reply.status == 200
    assert time.perf_counter() - started >= 0.2


def test_latency_combines_with_another_fault(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    local_hub.set_faults(Fault("error", value=500), Fault("latency", value=0.1))
    started = time.perf_counter()
    assert client.call("GET", LIST, token=session).status == 500
    assert time.perf_counter() - started >= 0.1


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        (Fault("error"), 503, "text/html; charset=utf-8"),
        (Fault("error", value=504), 504, "text/html; charset=utf-8"),
        (Fault("error", value=500), 500, "application/json"),
        (Fault("html"), 502, "text/html; charset=utf-8"),
        (Fault("html", value=403), 403, "text/html; charset=utf-8"),
    ],
)
def test_error_and_html_faults_answer_instead_of_the_hub(
    local_hub: LocalHub,
    client: HubClient,
    session: str,
    fault: Fault,
    status: int,
    content_type: str,
) -> None:
    local_hub.set_faults(fault)
    reply = client.call("POST", LIST, NEW_TOKEN, token=session)
    assert (reply.status, reply.headers["content-type"]) == (status, content_type)
    assert "x-ratelimit-remaining" in reply.headers
    if content_type == "application/json":
        assert reply.json()["detail"]
    else:
        assert reply.body.startswith(b"<html>")
    assert local_hub.tokens("alice") == []  # the hub never saw it


def test_rate_limit_fault(local_hub: LocalHub, client: HubClient, session: str) -> None:
    local_hub.set_faults(Fault("rate_limit", value=7))
    reply = client.call("GET", LIST, token=session)
    assert (reply.status, reply.headers["retry-after"]) == (429, "7")
    assert reply.json() == {"detail": "Rate limit exceeded", "error": False}


def test_malformed_fault(local_hub: LocalHub, client: HubClient, session: str) -> None:
    local_hub.set_faults(Fault("malformed"))
    reply = client.call("GET", LIST, token=session)
    assert (reply.status, reply.headers["content-type"]) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_drop_closes_without_an_answer_or_an_effect(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    local_hub.set_faults(Fault("drop"))
    with pytest.raises(http.client.RemoteDisconnected):
        client.call("POST", LIST, NEW_TOKEN, token=session)
    assert local_hub.tokens("alice") == []
    assert local_hub.request_log[-1] == ("POST", LIST, 0)


def test_drop_after_commit_does_the_work_then_hangs_up(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    local_hub.set_faults(Fault("drop_after_commit"))
    with pytest.raises(http.client.RemoteDisconnected):
        client.call("POST", LIST, NEW_TOKEN, token=session)
    assert [t["token_label"] for t in local_hub.tokens("alice")] == ["t"]


def test_truncated_sends_half_the_promised_body(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    local_hub.set_faults(Fault("truncated"))
    with pytest.raises(http.client.IncompleteRead) as caught:
        client.call("POST", LIST, NEW_TOKEN, token=session)
    assert caught.value.partial
    assert caught.value.expected  # bytes promised by Content-Length but never sent
    assert len(local_hub.tokens("alice")) == 1  # created, but the client never saw the secret


def test_count_path_and_method_aim_the_fault(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    local_hub.set_faults(
        Fault("error", value=500, count=2, path="/v2/access-tokens", method="POST")
    )
    assert client.call("GET", LIST, token=session).status == 200  # other method
    other_path = client.call("POST", "/v2/auth/token", {"identifier": "x", "secret": "y"})
    assert other_path.status == 401
    statuses = [client.call("POST", LIST, NEW_TOKEN, token=session).status for _ in range(3)]
    assert statuses == [500, 500, 201]
    local_hub.set_faults(Fault("error", value=500))
    assert client.call("GET", LIST, token=session).status == 500
    local_hub.clear_faults()
    assert client.call("GET", LIST, token=session).status == 200


def test_rate_is_a_probability(local_hub: LocalHub, client: HubClient, session: str) -> None:
    local_hub.set_faults(Fault("error", value=500, rate=0.5))
    statuses = [client.call("GET", LIST, token=session).status for _ in range(100)]
    assert 25 <= statuses.count(500) <= 75
    assert set(statuses) == {200, 500}


@pytest.mark.parametrize(
    "fields", [{"kind": "explode"}, {"kind": "drop", "rate": 1.5}, {"kind": "drop", "count": -1}]
)
def test_faults_are_checked_when_made(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**fields)
