"""Many clients at once, and a big account listed quickly."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from hubtokens.localhub import LocalHub
from tests.localhub.client import HubClient


def test_fifty_threads_create_and_list_at_once(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    def work(i: int) -> tuple[int, int]:
        created = client.call(
            "POST",
            "/v2/access-tokens",
            {"token_label": f"thread {i}", "scopes": ["repo:read"]},
            token=session,
        )
        listed = client.call("GET", "/v2/access-tokens?page_size=5", token=session)
        return created.status, listed.status

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(work, range(50)))
    # 30 creations an hour is the default fair-use budget; the rest are throttled.
    assert sorted(status for status, _ in results) == [201] * 30 + [429] * 20
    assert {listed for _, listed in results} == {200}
    assert len(local_hub.tokens("alice")) == 30
    assert len(local_hub.request_log) == 101  # the sign-in and 100 calls


def test_ten_thousand_tokens_list_concurrently_in_pages_of_100(
    local_hub: LocalHub, client: HubClient, session: str
) -> None:
    for i in range(10_000):
        local_hub.create_token("alice", f"token {i}")

    def page(number: int) -> list[str]:
        reply = client.call("GET", f"/v2/access-tokens?page={number}&page_size=100", token=session)
        assert reply.status == 200
        return [token["uuid"] for token in reply.json()["results"]]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        pages = list(pool.map(page, range(1, 101)))
    elapsed = time.perf_counter() - started
    uuids = [uuid for chunk in pages for uuid in chunk]
    assert len(uuids) == len(set(uuids)) == 10_000
    print(f"listed 10,000 tokens in {elapsed:.2f} s")
    assert elapsed < 5, f"listing 10,000 tokens took {elapsed:.2f} s"  # ~0.7 s when idle
