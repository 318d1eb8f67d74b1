"""gnome-keyring's first-call race (issue 10, part 4), against the real daemon.

When other clients keep it busy, gnome-keyring can run a new connection's first method call
before the idle callback that registers the connection as its client; it then logs
``assertion 'client' failed`` and answers ``SearchItems`` with ``UnknownMethod`` ("Method
SearchItems is not implemented on interface org.freedesktop.Secret.Service") and ``ReadAlias``
with ``/``. The helper's first call on a connection is always a read and is asked once more
then (``credhelper/secretservice.py``).

Worker processes read (``find``) and write (``put``) on a new connection each time, as every
helper process does, against a fresh gnome-keyring, until its log shows the race ``RACES``
times or ``BOUND_SECONDS`` pass; none of their calls may fail. On the 2-core machine about one
call in 3,000 meets the race and the test takes 3-32 s; without the second asking it failed in
each of 4 runs, with the very message the issue reports. ``scripts/keychain_stress.py`` is the
long run with the real helper beside other clients.
"""

from __future__ import annotations

import multiprocessing
import secrets
import time
from contextlib import closing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

import pytest

from hubtokens.credhelper.errors import HelperError
from hubtokens.credhelper.keychain import AUTO_TOKEN, DOCKER_LOGIN, item_key
from hubtokens.credhelper.secretservice import SecretServiceKeychain
from tests.fixtures.keychain import SecretService
from tests.reliability.conftest import Tally, scaled

pytestmark = [pytest.mark.secret_service]

RACE_MARK = "assertion 'client' failed"  # gnome-keyring's log line when it does not know a caller
RACES = scaled(2, 30)
BOUND_SECONDS = scaled(30, 600)
WORKERS = 2
WRITE_EVERY = 5  # one call in five is a put, whose first call is ReadAlias
DEADLINE = 3.0


# The wait for races is bounded by BOUND_SECONDS, not by the suite's default timeout (which a
# full-scale run, allowed 600 s to see its 30 races, would otherwise hit first).
@pytest.mark.timeout(BOUND_SECONDS + 120)
def test_a_first_call_gnome_keyring_answers_too_early_is_asked_again(
    fresh_secret_service: SecretService, tally: Tally
) -> None:
    service = fresh_secret_service
    key = item_key(AUTO_TOKEN, "alice", "https://hub.docker.com")
    secret = "dckr_pat_" + secrets.token_urlsafe(24)  # made up per run
    with closing(_keychain(service.env)) as keychain:
        keychain.put(key, secret)

    spawn = multiprocessing.get_context("spawn")  # no fork of a process that has threads
    stop = spawn.Event()
    results: Queue[tuple[int, list[str]]] = spawn.Queue()
    workers = [
        spawn.Process(target=_hammer, args=(service.env, key, secret, n, stop, results))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    try:
        while _races(service) < RACES and time.monotonic() - started < BOUND_SECONDS:
            time.sleep(0.2)
    finally:
        stop.set()
        outcomes = [results.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)

    calls = sum(count for count, _ in outcomes)
    failures = [message for _, messages in outcomes for message in messages]
    races = _races(service)
    tally.record(
        "gnome-keyring's first-call race: new connections read and write while it is busy",
        calls,
        f"{len(failures)} failed; the daemon raced {races} times",
        seconds=round(time.monotonic() - started, 1),
    )
    assert failures == [], f"{len(failures)} of {calls} calls failed; {races} races"
    if races == 0:
        pytest.skip(f"gnome-keyring did not hit its first-call race in {calls} calls")


def _races(service: SecretService) -> int:
    return service.keyring_log().count(RACE_MARK)


def _keychain(env: dict[str, str]) -> SecretServiceKeychain:
    """A new connection, as each helper process makes."""
    return SecretServiceKeychain(env, time.monotonic() + DEADLINE, DEADLINE)


def _hammer(
    env: dict[str, str],
    key: str,
    secret: str,
    number: int,
    stop: Event,
    results: Queue[tuple[int, list[str]]],
) -> None:
    """One worker process: reads and writes, each on a new connection, until told to stop."""
    own = item_key(DOCKER_LOGIN, f"worker{number}", "https://index.docker.io/v1")
    calls = 0
    failures = []
    while not stop.is_set():
        calls += 1
        with closing(_keychain(env)) as keychain:
            try:
                if calls % WRITE_EVERY:
                    found = keychain.find(key)
                    if found != secret:
                        failures.append(
                            f"find answered {'nothing' if found is None else 'another'}"
                        )
                else:
                    keychain.put(own, secret)
            except HelperError as exc:
                failures.append(exc.message)
    results.put((calls, failures))
