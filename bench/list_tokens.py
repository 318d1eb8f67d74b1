"""How long listing every token takes: pages fetched concurrently vs one after another.

Seeds a LocalHub with many tokens, then times ``HubClient.list_tokens`` with
``page_concurrency`` 1 and N in alternating runs (so both see the same machine state) and
prints the medians as a markdown table. ``--latency`` adds a delay per page, standing in for
the round trip to hub.docker.com that loopback does not have.

    python bench/list_tokens.py [--tokens 10000] [--runs 5] [--concurrency 8] [--latency 0]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Sequence

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.secret import Secret
from hubtokens.localhub import Fault, HubConfig, LocalHub

USER = "bench"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per page")
    args = parser.parse_args(argv)

    password = secrets.token_urlsafe(16)
    # the bench makes thousands of requests a minute; the hub's default budget would stop it
    with LocalHub(HubConfig(requests_per_minute=1_000_000)) as hub:
        hub.add_user(USER, password)
        for n in range(args.tokens):
            hub.create_token(USER, f"bench token {n}")
        if args.latency:
            hub.set_faults(Fault("latency", path="/v2/access-tokens", value=args.latency))
        modes = {1: HubClient(hub.url, page_concurrency=1)}
        modes[args.concurrency] = HubClient(hub.url, page_concurrency=args.concurrency)
        session = modes[1].login(USER, Secret(password))
        assert isinstance(session, SessionToken)
        timings = _time_alternating(modes, session, args.runs, args.tokens)
    print(_table(timings, args.tokens, args.runs, args.latency))
    return 0


def _time_alternating(
    modes: dict[int, HubClient], session: SessionToken, runs: int, expected: int
) -> dict[int, list[float]]:
    timings: dict[int, list[float]] = {concurrency: [] for concurrency in modes}
    for run in range(runs + 1):  # run 0 warms up connections and caches, and is not counted
        for concurrency, client in modes.items():
            started = time.perf_counter()
            tokens = client.list_tokens(session)
            elapsed = time.perf_counter() - started
            if len(tokens) != expected:
                raise SystemExit(f"listed {len(tokens)} tokens, expected {expected}")
            if run:
                timings[concurrency].append(elapsed)
    return timings


def _table(timings: dict[int, list[float]], tokens: int, runs: int, latency: float) -> str:
    medians = {concurrency: statistics.median(times) for concurrency, times in timings.items()}
    sequential = medians[1]
    lines = [
        f"Listing {tokens:,} tokens (page_size 100), median of {runs} runs, "
        f"added latency {latency * 1000:.0f} ms per page",
        "",
        "| page_concurrency | median (s) | min (s) | max (s) | tokens/s | speed-up |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for concurrency, times in timings.items():
        median = medians[concurrency]
        lines.append(
            f"| {concurrency} | {median:.3f} | {min(times):.3f} | {max(times):.3f} "
            f"| {tokens / median:,.0f} | {sequential / median:.2f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
