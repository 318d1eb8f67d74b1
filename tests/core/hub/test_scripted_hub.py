"""Answers localhub does not give: no ``count``, a foreign ``next``, capped pages, redirects,
odd error bodies. A scripted server on loopback, so the real requests stack still runs."""

from __future__ import annotations

from typing import Any

import pytest

from hubtokens.core.errors import (
    HubError,
    InvalidRequest,
    PermissionDenied,
    ProtocolError,
    RateLimited,
)
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import Scope, SessionToken
from hubtokens.core.secret import Secret
from tests.core.hub.scripted import Answer, ScriptedHub, token_json

LIST = "/v2/access-tokens"


def _page(numbers: range, nxt: str | None, count: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {"next": nxt, "results": [token_json(n) for n in numbers]}
    if count is not None:
        body["count"] = count
    return body


def _labels(client: HubClient, session: SessionToken, page_size: int = 2) -> list[str]:
    return [token.label for token in client.list_tokens(session, page_size=page_size)]


def test_without_count_follows_next(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.page(
        f"{LIST}?page=1&page_size=2", _page(range(2), f"{scripted.url}{LIST}?page=2&page_size=2")
    )
    # a relative next is read against the hub, as a browser would
    scripted.page(f"{LIST}?page=2&page_size=2", _page(range(2, 4), f"{LIST}?page=3&page_size=2"))
    scripted.page(f"{LIST}?page=3&page_size=2", _page(range(4, 5), None))
    progress: list[tuple[int, int]] = []

    tokens = HubClient(scripted.url).list_tokens(
        offline_session, page_size=2, on_progress=lambda *p: progress.append(p)
    )

    assert [t.label for t in tokens] == [f"token {n}" for n in range(5)]
    assert progress == [(2, 0), (4, 0), (5, 0)]  # total unknown: 0


def test_next_to_another_host_is_refused(
    scripted: ScriptedHub, offline_session: SessionToken
) -> None:
    port = scripted.url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}{LIST}?page=2&page_size=2"  # same server, other name
    scripted.page(f"{LIST}?page=1&page_size=2", _page(range(2), elsewhere))

    with pytest.raises(ProtocolError, match=r"next page is not on 127\.0\.0\.1"):
        HubClient(scripted.url).list_tokens(offline_session, page_size=2)
    assert scripted.requests == [f"{LIST}?page=1&page_size=2"]


def test_next_that_loops_is_refused(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.page(f"{LIST}?page=1&page_size=2", _page(range(2), f"{LIST}?page=2&page_size=2"))
    scripted.page(f"{LIST}?page=2&page_size=2", _page(range(2, 4), f"{LIST}?page=2&page_size=2"))

    with pytest.raises(ProtocolError, match="already read"):
        HubClient(scripted.url).list_tokens(offline_session, page_size=2)


def test_tokens_added_meanwhile_are_followed(
    scripted: ScriptedHub, offline_session: SessionToken
) -> None:
    # page 1 counted 4 tokens (2 pages); by page 2 there were more, so page 2 has a next
    scripted.page(f"{LIST}?page=1&page_size=2", _page(range(2), f"{LIST}?page=2&page_size=2", 4))
    scripted.page(f"{LIST}?page=2&page_size=2", _page(range(1, 3), f"{LIST}?page=3&page_size=2", 5))
    scripted.page(f"{LIST}?page=3&page_size=2", _page(range(3, 5), None, 5))

    assert _labels(HubClient(scripted.url), offline_session) == [f"token {n}" for n in range(5)]


def test_pages_gone_meanwhile_count_as_empty(
    scripted: ScriptedHub, offline_session: SessionToken
) -> None:
    scripted.page(f"{LIST}?page=1&page_size=2", _page(range(2), f"{LIST}?page=2&page_size=2", 6))
    scripted.page(f"{LIST}?page=2&page_size=2", _page(range(2, 4), None, 4))
    # page 3 answers 404, as Django-style hubs do past the last page

    assert _labels(HubClient(scripted.url), offline_session) == [f"token {n}" for n in range(4)]


def test_hub_that_caps_page_size(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.page(
        f"{LIST}?page=1&page_size=100", _page(range(50), f"{LIST}?page=2&page_size=100", 120)
    )
    scripted.page(
        f"{LIST}?page=2&page_size=100", _page(range(50, 100), f"{LIST}?page=3&page_size=100", 120)
    )
    scripted.page(f"{LIST}?page=3&page_size=100", _page(range(100, 120), None, 120))

    tokens = HubClient(scripted.url).list_tokens(offline_session)

    assert [t.label for t in tokens] == [f"token {n}" for n in range(120)]
    assert sorted(scripted.requests) == [f"{LIST}?page={n}&page_size=100" for n in (1, 2, 3)]


def test_redirect_is_not_followed(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.answers[f"{LIST}?page=1&page_size=100"] = Answer(
        302, headers={"Location": f"{scripted.url}/elsewhere"}
    )

    with pytest.raises(ProtocolError, match=r"redirect \(HTTP 302\)"):
        HubClient(scripted.url).list_tokens(offline_session)
    assert scripted.requests == [f"{LIST}?page=1&page_size=100"]


def test_429_without_retry_after(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.answers[f"{LIST}?page=1&page_size=100"] = Answer(
        429, {"detail": "Rate limit exceeded"}
    )

    with pytest.raises(RateLimited) as info:
        HubClient(scripted.url).list_tokens(offline_session)
    assert info.value.retry_at is None


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (403, {"detail": "Forbidden for this plan"}, PermissionDenied, "^Forbidden for this plan$"),
        (403, {"message": "x" * 500}, PermissionDenied, "^The hub does not allow"),
        (
            403,
            {"errinfo": {}, "message": "token issued from personal access token"},
            PermissionDenied,
            "sign in with your password",
        ),
        (
            400,
            {"fields": {"token_label": ["Too long.", 7]}},
            InvalidRequest,
            r"invalid \(token_label\)$",
        ),
        (400, ["not", "an", "object"], InvalidRequest, "rejected the request as invalid$"),
        (409, {"detail": "see https://example.com/x?y=1"}, HubError, "^the hub answered HTTP 409$"),
        (409, {"detail": "Conflict"}, HubError, "^the hub answered HTTP 409: Conflict$"),
    ],
)
def test_error_bodies(
    scripted: ScriptedHub,
    offline_session: SessionToken,
    status: int,
    body: Any,
    error: type[HubError],
    message: str,
) -> None:
    scripted.answers[LIST] = Answer(status, body)

    with pytest.raises(error, match=message) as info:
        HubClient(scripted.url).create_token(offline_session, "ci", [Scope.READ])
    if isinstance(info.value, InvalidRequest) and isinstance(body, dict):
        assert info.value.fields == {"token_label": ["Too long."]}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v2/users/login", {"token": "not-a-jwt"}, "not a JWT"),
        ("/v2/users/login", {"access_token": "x"}, "lacks the 'token' field"),
        ("/v2/users/login", ["token"], "not a JSON object"),
        (LIST, {"uuid": "x"}, "lacks the 'token' field"),
    ],
)
def test_success_bodies_that_make_no_sense(
    scripted: ScriptedHub, offline_session: SessionToken, path: str, body: Any, message: str
) -> None:
    scripted.answers[path] = Answer(200, body)
    client = HubClient(scripted.url)

    with pytest.raises(ProtocolError, match=message):
        if path == LIST:
            client.create_token(offline_session, "ci", [Scope.READ])
        else:
            client.login("alice", Secret("pw"))


def test_absurd_count_is_refused(scripted: ScriptedHub, offline_session: SessionToken) -> None:
    scripted.page(f"{LIST}?page=1&page_size=100", _page(range(100), f"{LIST}?page=2", 10**12))

    with pytest.raises(ProtocolError, match="too many to list"):
        HubClient(scripted.url).list_tokens(offline_session)
    assert len(scripted.requests) == 1
