"""Deadlines: a keychain that stops answering never leaves the caller hanging."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from hubtokens.core.deadline import DeadlineExceeded, DeadlineWorker
from hubtokens.core.errors import VaultUnavailable
from hubtokens.core.secret import Secret
from hubtokens.core.vault import Vault
from tests.fixtures.keychain import MEMORY_DEADLINE
from tests.support.memory_keyring import MemoryKeyring

HUB = "https://hub.example.test"
VALUE = "tok_" + "y2" * 20
SLACK = 0.5  # scheduling slack allowed on top of a deadline


def timed(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    start = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.01)


def works(vault: Vault) -> bool:
    try:
        vault.get_session(HUB, "alice")
    except VaultUnavailable:
        return False
    return True


def test_hanging_backend_times_out_then_fails_fast_then_recovers(
    memory_vault: Vault, memory_keyring: MemoryKeyring
) -> None:
    memory_vault.put_session(HUB, "alice", Secret(VALUE))
    memory_keyring.hold()

    error, elapsed = timed(lambda: memory_vault.get_session(HUB, "alice"))
    assert isinstance(error, VaultUnavailable)
    assert error.message == f"the keychain did not answer within {MEMORY_DEADLINE:g} s"
    assert "unlock prompt" in (error.hint or "")
    assert MEMORY_DEADLINE <= elapsed < MEMORY_DEADLINE + SLACK

    calls = memory_keyring.calls
    for call in (
        lambda: memory_vault.get_session(HUB, "alice"),
        lambda: memory_vault.put_auto_token(HUB, "alice", Secret(VALUE)),
        lambda: memory_vault.delete_session(HUB, "alice"),
    ):
        error, elapsed = timed(call)
        assert isinstance(error, VaultUnavailable)
        assert "did not answer" in error.message
        assert elapsed < 0.05  # fails fast while the worker is stuck
    assert memory_keyring.calls == calls  # nothing queued behind the stuck call

    diagnostics = memory_vault.diagnostics()
    assert "did not answer" in (diagnostics.last_error or "")
    assert "unlock prompt" in (diagnostics.hint or "")

    memory_keyring.release()
    wait_until(lambda: works(memory_vault))
    assert memory_vault.get_session(HUB, "alice") == Secret(VALUE)
    assert memory_vault.diagnostics().last_error is None


def test_diagnostics_never_hang(memory_vault: Vault, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.hold()
    error, _ = timed(lambda: memory_vault.get_session(HUB, "alice"))
    assert isinstance(error, VaultUnavailable)
    start = time.monotonic()
    diagnostics = memory_vault.diagnostics()
    assert time.monotonic() - start < MEMORY_DEADLINE + SLACK
    assert diagnostics.locked is None
    assert "did not answer" in (diagnostics.last_error or "")


def test_concurrent_callers_take_turns(memory_vault: Vault, memory_keyring: MemoryKeyring) -> None:
    """One keychain conversation at a time: a second caller waits for the first."""
    inside = 0
    most = 0
    lock = threading.Lock()
    original = memory_keyring.get_password

    def counting(service: str, username: str) -> str | None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        with lock:
            inside -= 1
        return original(service, username)

    memory_keyring.get_password = counting  # type: ignore[method-assign]
    threads = [
        threading.Thread(target=memory_vault.get_session, args=(HUB, f"user{i}")) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert memory_keyring.calls == 8


def test_worker_thread_is_named_and_single(
    memory_vault: Vault, memory_keyring: MemoryKeyring
) -> None:
    seen: set[str] = set()
    original = memory_keyring.set_password

    def recording(service: str, username: str, password: str) -> None:
        seen.add(f"{threading.current_thread().name}/{threading.get_ident()}")
        original(service, username, password)

    memory_keyring.set_password = recording  # type: ignore[method-assign]
    for i in range(5):
        memory_vault.put_session(HUB, f"user{i}", Secret(VALUE))
    assert len(seen) == 1
    assert next(iter(seen)).startswith("hubtokens-vault/")
    assert threading.current_thread().name not in next(iter(seen))


# --- the worker itself -----------------------------------------------------------------------


def test_worker_returns_results_and_raises_errors() -> None:
    worker = DeadlineWorker("test-worker")
    assert worker.call(lambda: 42, 1.0) == 42
    assert worker.call(lambda: None, 1.0) is None
    with pytest.raises(KeyError):
        worker.call(lambda: {}["missing"], 1.0)


def test_queued_call_past_its_deadline_never_runs() -> None:
    worker = DeadlineWorker("test-worker")
    started = threading.Event()
    gate = threading.Event()
    ran: list[str] = []

    def slow() -> None:
        started.set()
        gate.wait()

    first = threading.Thread(target=lambda: worker.call(slow, 5.0))
    first.start()
    assert started.wait(1.0)
    with pytest.raises(DeadlineExceeded):
        worker.call(lambda: ran.append("late"), 0.1)
    assert not worker.stuck  # the late call was cancelled before it started, not left running
    gate.set()
    first.join()
    assert worker.call(lambda: "next", 1.0) == "next"
    assert ran == []


def test_stuck_worker_recovers_when_the_call_returns() -> None:
    worker = DeadlineWorker("test-worker")
    gate = threading.Event()
    with pytest.raises(DeadlineExceeded):
        worker.call(gate.wait, 0.05)
    assert worker.stuck
    with pytest.raises(DeadlineExceeded):
        worker.call(lambda: "fast", 1.0)
    gate.set()
    wait_until(lambda: not worker.stuck)
    assert worker.call(lambda: "fast", 1.0) == "fast"
