"""Fixtures for the GUI tests: real widgets on the offscreen platform, a real local Hub, a
memory keychain, and a task runner whose pool the test owns.

Shared by every tests/gui module (the session, tray and app tests and the token window tests).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper, KeeperLock, SignInResult
from hubtokens.core.secret import Secret
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.session import SessionController
from hubtokens.gui.pyside_fixes import guard_against_emit_leak
from hubtokens.gui.tasks import TaskRunner
from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock
from tests.gui.app_support import apps, docker_setup  # noqa: F401  (fixtures for every module)

# Read when pytest-qt makes the QApplication; an explicit value (xcb under Xvfb) wins.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The suite emits thousands of signals: with PySide6 6.12.0 that would free True mid-run.
guard_against_emit_leak()

TEST_HOSTNAME = "guitest"
# Short enough to keep tests fast, long enough for a hub answering after a 1 s fault.
CLIENT_TIMEOUT = (1.0, 5.0)
CLIPBOARD_CLEAR_MS = 150
POOL_WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def collect_qt_garbage() -> Iterator[None]:
    """Free each test's Qt objects here, on the GUI thread. Left to Python's cyclic collector
    they may be freed on a worker thread mid-way through a later test ("Timers cannot be
    stopped from another thread")."""
    yield
    gc.collect()


@pytest.fixture
def task_runner(qapp: QApplication) -> Iterator[TaskRunner]:
    """A TaskRunner on its own QThreadPool; teardown waits until every task is done."""
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    runner = TaskRunner(pool)
    yield runner
    assert pool.waitForDone(POOL_WAIT_MS), "a GUI task was still running at teardown"


@pytest.fixture
def hub_url(local_hub: LocalHub) -> str:
    return local_hub.url


@pytest.fixture
def client_for(hub_clock: HubClock) -> Callable[[str], HubClient]:
    """One HubClient per hub URL, as the app's composition root does."""
    clients: dict[str, HubClient] = {}

    def client(url: str) -> HubClient:
        if url not in clients:
            clients[url] = HubClient(url, timeout=CLIENT_TIMEOUT, clock=hub_clock.now)
        return clients[url]

    return client


@pytest.fixture
def clock(hub_clock: HubClock) -> Callable[[], datetime]:
    """The app's clock is the hub's: tests move both at once."""
    return hub_clock.now


@pytest.fixture
def keeper(
    tmp_path: Path,
    memory_vault: Vault,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
) -> Keeper:
    """A keeper over the local Hub (``local_hub``), the memory keychain and tmp settings."""
    return Keeper(
        client_for=client_for,
        vault=memory_vault,
        settings=SettingsStore(tmp_path / "config" / "settings.json"),
        lock=KeeperLock(tmp_path / "state" / "keeper.lock", timeout=10),
        clock=clock,
        hostname=TEST_HOSTNAME,
    )


@pytest.fixture
def signed_in_keeper(keeper: Keeper, hub_url: str, alice_password: str) -> Keeper:
    """``keeper`` signed in as alice (with her auto token), done before the test starts."""
    result = keeper.sign_in(hub_url, "alice", Secret(alice_password))
    assert isinstance(result, SignInResult)
    return keeper


@pytest.fixture
def demo_keeper(keeper: Keeper, local_hub: LocalHub, hub_url: str) -> Keeper:
    """``keeper`` signed in as the demo account, whose tokens are seeded on the hub."""
    demo = local_hub.seed_demo()
    result = keeper.sign_in(hub_url, demo.username, Secret(demo.password))
    assert isinstance(result, SignInResult)
    return keeper


@pytest.fixture
def session(
    task_runner: TaskRunner,
    keeper: Keeper,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    hub_url: str,
) -> SessionController:
    """The session controller over ``keeper`` (for the sign-in dialog's tests)."""
    return SessionController(task_runner, keeper, client_for, hub_url=hub_url, clock=clock)


@pytest.fixture
def clipboard_guard(qapp: QApplication) -> Iterator[ClipboardGuard]:
    """A ClipboardGuard on the real (offscreen) clipboard with a short clear delay."""
    guard = ClipboardGuard(QApplication.clipboard(), clear_after_ms=CLIPBOARD_CLEAR_MS)
    yield guard
    QApplication.clipboard().clear()
