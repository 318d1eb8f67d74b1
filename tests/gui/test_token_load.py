"""10,000 tokens: the table fills, and the GUI thread never stalls for long while they load.

The Hub runs in its own process, as hub.docker.com does, and answers each page after a short
round trip (``PAGE_LATENCY``). In-process, with no latency, the hub's request threads and all
eight page fetchers would be busy in Python at once and take the interpreter lock from the GUI
thread: a load the app never meets, and not what this test is about.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper, SignInResult
from hubtokens.core.secret import Secret
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.tokens import TokensController
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.token_window import TokenWindow
from tests.gui.token_support import (
    TASK_TIMEOUT_MS,
    ScriptedPrompts,
    StallProbe,
    hub_process,
    refresh,
    seed_hub,
)

pytest_plugins = ["tests.gui.token_fixtures"]

TOKENS = 10_000
# The goal is 50 ms, and bench/token_window.py measures it on a quiet machine. CI shares its
# two cores with the hub process and other work, where stalls of 100 ms were seen, so the test
# allows 250 ms. That still catches the real regressions: sorting or building 10,000 rows on
# the GUI thread stalls it for a second or more.
STALL_LIMIT_S = 0.250
SETTLE_TICKS = 10  # probe ticks after the listing, so painting the table is measured too
PAGE_LATENCY = "latency:value=0.02,path=/v2/access-tokens"  # seconds: a short round trip


@pytest.fixture
def hub_url_10k(tmp_path: Path, alice_password: str) -> Iterator[str]:
    """A local Hub in its own process, with alice and her 10,000 tokens."""
    seed_hub(tmp_path / "hub", "alice", alice_password, TOKENS)
    with hub_process(tmp_path / "hub", "--fault", PAGE_LATENCY) as url:
        yield url


def test_ten_thousand_tokens_load_without_stalling_the_gui(
    hub_url_10k: str,
    keeper: Keeper,
    task_runner: TaskRunner,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    clipboard_guard: ClipboardGuard,
    alice_password: str,
    qtbot: QtBot,
) -> None:
    assert isinstance(keeper.sign_in(hub_url_10k, "alice", Secret(alice_password)), SignInResult)
    controller = TokensController(task_runner, keeper, client_for, hub_url_10k, clock)
    window = TokenWindow(controller, clipboard_guard, ScriptedPrompts())
    qtbot.addWidget(window)
    window.show()
    progress: list[tuple[int, int]] = []
    controller.refresh_progress.connect(lambda *args: progress.append(args))

    gc.freeze()  # as gui/app.py does once start-up is done
    probe = StallProbe()
    probe.start()
    refresh(qtbot, controller).result  # noqa: B018
    settled = probe.ticks + SETTLE_TICKS
    qtbot.waitUntil(lambda: probe.ticks >= settled, timeout=TASK_TIMEOUT_MS)
    longest = probe.stop()
    gc.unfreeze()
    print(f"LONGEST {longest * 1000:.0f}")

    assert window.proxy.rowCount() == TOKENS + 1  # and alice's auto token
    assert window.status.summary.text().startswith("10,001 tokens")
    assert progress[-1] == (TOKENS + 1, TOKENS + 1)
    assert longest < STALL_LIMIT_S, f"the GUI thread stalled for {longest * 1000:.0f} ms"
