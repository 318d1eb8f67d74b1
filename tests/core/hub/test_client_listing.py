"""Listing every token against a real localhub: pages fetched concurrently, each token once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hubtokens.core.errors import RateLimited, ServerError, UsageError
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock

LIST = "/v2/access-tokens"
PAGE_LATENCY = 0.1


def _seed(local_hub: LocalHub, count: int) -> list[str]:
    for n in range(count):
        local_hub.create_token("alice", f"token {n}")
    return [token["uuid"] for token in local_hub.tokens("alice")]


def _page_requests(local_hub: LocalHub, mark: int) -> list[tuple[str, str, int]]:
    return [entry for entry in local_hub.request_log[mark:] if entry[1] == LIST]


def test_ten_thousand_tokens_concurrently(
    client: HubClient, session: SessionToken, local_hub: LocalHub
) -> None:
    expected = _seed(local_hub, 10_000)
    local_hub.set_faults(Fault("latency", path=LIST, value=PAGE_LATENCY))
    progress: list[tuple[int, int]] = []
    mark = len(local_hub.request_log)

    started = time.perf_counter()
    tokens = client.list_tokens(session, on_progress=lambda *p: progress.append(p))
    elapsed = time.perf_counter() - started

    assert [t.uuid for t in tokens] == expected  # all, once each, in the hub's order
    assert _page_requests(local_hub, mark) == [("GET", LIST, 200)] * 100
    # one page after another could not take less than 100 × the latency
    assert elapsed < 100 * PAGE_LATENCY / 2
    assert progress[0] == (100, 10_000)
    assert progress[-1] == (10_000, 10_000)
    assert [loaded for loaded, _ in progress] == sorted(loaded for loaded, _ in progress)


def test_two_and_a_half_pages(
    client: HubClient, session: SessionToken, local_hub: LocalHub
) -> None:
    expected = _seed(local_hub, 250)
    mark = len(local_hub.request_log)

    tokens = client.list_tokens(session, page_size=100)

    assert [t.uuid for t in tokens] == expected
    assert len(_page_requests(local_hub, mark)) == 3


def test_sequential_client_gets_the_same(local_hub: LocalHub, session: SessionToken) -> None:
    expected = _seed(local_hub, 25)

    tokens = HubClient(local_hub.url, page_concurrency=1).list_tokens(session, page_size=10)

    assert [t.uuid for t in tokens] == expected


def test_no_tokens(client: HubClient, session: SessionToken) -> None:
    progress: list[tuple[int, int]] = []

    assert client.list_tokens(session, on_progress=lambda *p: progress.append(p)) == []
    assert progress == [(0, 0)]


def test_one_page(client: HubClient, session: SessionToken, local_hub: LocalHub) -> None:
    expected = _seed(local_hub, 3)

    page = client.list_tokens_page(session, page=1, page_size=10)

    assert page.count == 3
    assert page.active_count == 3
    assert page.next is None
    assert [t.uuid for t in page.results] == expected


def _after_first_page(action: Callable[[], object]) -> Callable[[int, int], None]:
    calls: list[int] = []

    def on_progress(loaded: int, total: int) -> None:
        if not calls:
            action()
        calls.append(loaded)

    return on_progress


def test_token_created_while_listing_is_not_duplicated(
    client: HubClient, session: SessionToken, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    expected = _seed(local_hub, 250)

    def add() -> None:
        hub_clock.advance(1)  # the newest token comes first: every later page shifts by one
        local_hub.create_token("alice", "newcomer")

    add_after_page_1 = _after_first_page(add)

    tokens = client.list_tokens(session, on_progress=add_after_page_1)

    assert [t.uuid for t in tokens] == expected


def test_tokens_deleted_while_listing_do_not_break_it(
    client: HubClient, session: SessionToken, local_hub: LocalHub
) -> None:
    expected = _seed(local_hub, 250)

    def delete_most() -> None:
        for uuid in expected[100:]:
            local_hub.delete_token(uuid)

    # pages 2 and 3 no longer exist: the hub answers 404 "Invalid page."
    tokens = client.list_tokens(session, on_progress=_after_first_page(delete_most))

    assert [t.uuid for t in tokens] == expected[:100]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("error", path=LIST, value=500, count=1), ServerError),
        (Fault("rate_limit", path=LIST, value=30, count=1), RateLimited),
    ],
)
def test_a_failing_page_fails_the_listing(
    client: HubClient,
    session: SessionToken,
    local_hub: LocalHub,
    fault: Fault,
    error: type[Exception],
) -> None:
    _seed(local_hub, 1_000)

    with pytest.raises(error):
        client.list_tokens(
            session, on_progress=_after_first_page(lambda: local_hub.set_faults(fault))
        )


@pytest.mark.parametrize(("page", "page_size"), [(0, 10), (1, 0), (1, 101)])
def test_page_arguments_are_checked(
    client: HubClient, session: SessionToken, local_hub: LocalHub, page: int, page_size: int
) -> None:
    mark = len(local_hub.request_log)

    with pytest.raises(UsageError):
        client.list_tokens_page(session, page, page_size)
    assert local_hub.request_log[mark:] == []
