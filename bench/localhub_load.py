"""localhub under concurrent clients: requests per second and latency percentiles.

Starts ``hubtokens hub serve`` as its own process on loopback (so the server does not share a
GIL with the clients), adds a user, and drives three endpoints from N client threads, each on
its own keep-alive connection, for a bounded number of requests:

* ``GET /v2/access-tokens`` — a page of the token list (the account holds ``--tokens``);
* ``POST /v2/access-tokens`` — token creation;
* ``GET /token`` — the registry token service (Basic auth with a PAT, one pull scope).

Prints a markdown table (and ``--json`` for scripts/reliability.py). Loopback only: the hub
refuses any other address.

    python bench/localhub_load.py [--clients 1,8,32] [--requests 600] [--tokens 100]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

USER = "bench"


@dataclass(frozen=True)
class Result:
    endpoint: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="comma-separated thread counts")
    parser.add_argument("--requests", type=int, default=600, help="per endpoint and level")
    parser.add_argument("--tokens", type=int, default=100, help="tokens the account holds")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.clients.split(",")]

    with tempfile.TemporaryDirectory() as data, _hub(data) as url:
        host, port = _address(url)
        password = secrets.token_urlsafe(16)
        _add_user(data, password)
        session = _login(host, port, password)
        bearer = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
        pat = _create(host, port, bearer, "bench registry pat", ["repo:read"])
        basic = base64.b64encode(f"{USER}:{pat}".encode()).decode()
        for n in range(args.tokens - 1):
            _create(host, port, bearer, f"bench token {n}", ["repo:read"])
        create_body = json.dumps({"token_label": "bench create", "scopes": ["repo:read"]})
        endpoints: dict[str, Callable[[http.client.HTTPConnection], int]] = {
            "token list (GET /v2/access-tokens, page of 100)": lambda c: _call(
                c, "GET", "/v2/access-tokens?page=1&page_size=100", bearer
            ),
            "create (POST /v2/access-tokens)": lambda c: _call(
                c, "POST", "/v2/access-tokens", bearer, create_body
            ),
            "registry token (GET /token, Basic PAT)": lambda c: _call(
                c,
                "GET",
                f"/token?service=localhub-registry&scope=repository:{USER}/app:pull",
                {"Authorization": f"Basic {basic}"},
            ),
        }
        results = [
            _drive(name, call, host, port, clients, args.requests)
            for name, call in endpoints.items()
            for clients in levels
        ]
    if args.json:
        print(json.dumps([{**r.__dict__, "per_second": round(r.per_second, 1)} for r in results]))
    else:
        print(_table(results))
    return 0 if all(r.errors == 0 for r in results) else 1


# --- the hub ---------------------------------------------------------------------------------


@contextmanager
def _hub(data: str) -> Iterator[str]:
    """``hubtokens hub serve`` in its own process; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "hubtokens", "hub", "serve", "--data", data,
            "--requests-per-minute", "100000000", "--creates-per-hour", "100000000",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HUBTOKENS_HOME": data},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
    return parts.hostname, parts.port or 80


def _add_user(data: str, password: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "hubtokens", "hub", "add-user", USER, "--data", data],
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


def _request(
    host: str, port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> dict[str, object]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = json.loads(response.read())
        assert response.status in (200, 201), (response.status, data)
        return data  # type: ignore[no-any-return]
    finally:
        connection.close()


def _login(host: str, port: int, password: str) -> str:
    body = json.dumps({"username": USER, "password": password})
    answer = _request(
        host, port, "POST", "/v2/users/login", {"Content-Type": "application/json"}, body
    )
    return str(answer["token"])


def _create(host: str, port: int, bearer: dict[str, str], label: str, scopes: list[str]) -> str:
    body = json.dumps({"token_label": label, "scopes": scopes})
    return str(_request(host, port, "POST", "/v2/access-tokens", bearer, body)["token"])


# --- driving ---------------------------------------------------------------------------------


def _call(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None = None,
) -> int:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _drive(
    name: str,
    call: Callable[[http.client.HTTPConnection], int],
    host: str,
    port: int,
    clients: int,
    total: int,
) -> Result:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    share = [total // clients + (1 if n < total % clients else 0) for n in range(clients)]
    start_line = threading.Barrier(clients + 1)

    def client(count: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        bad = 0
        start_line.wait()
        for _ in range(count):
            began = time.perf_counter()
            try:
                status = call(connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - began)
            bad += status not in (200, 201)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in share]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(
        name,
        clients,
        len(latencies),
        errors,
        seconds,
        statistics.median(latencies) * 1000,
        p99 * 1000,
    )


def _table(results: list[Result]) -> str:
    lines = [
        "| endpoint | clients | requests | errors | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.endpoint} | {r.clients} | {r.requests} | {r.errors} | {r.per_second:.0f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
