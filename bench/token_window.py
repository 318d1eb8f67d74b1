"""The access-token window with 10,000 tokens: time until the table is filled, and the
longest stall of the GUI thread while they load (goal: under 50 ms).

Seeds a local Hub with the tokens, then, for each setup below, opens the window offscreen
in a fresh process (as the app has it) and lists the tokens several times. A probe timer asks
to fire every 10 ms; the longest gap between two firings is the longest the GUI thread could
not react. Setups:

- hub in its own process, 20 ms per page: close to hub.docker.com, whose round trip hides
  most of the page parsing behind network waits;
- hub in its own process, no latency: pages as fast as loopback serves them, so the eight
  page fetchers parse at once and compete with the GUI thread for the interpreter lock;
- hub in the app's process, no latency: its request threads compete too (``--demo`` does
  this, with a dozen tokens rather than 10,000).

``--gc-freeze`` first moves the objects made at start-up out of the garbage collector's
way (``gc.freeze()``), as an app can: a full collection, which a listing of 10,000 tokens
triggers, then scans only what came later and holds the interpreter lock for less time.

Prints the medians as a markdown table. Run from the repository root:

    python bench/token_window.py [--tokens 10000] [--runs 5] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The memory keychain and the probe are the tests' own (tests/), found from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEventLoop, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication
from tests.gui.token_support import StallProbe, hub_process, seed_hub
from tests.support.memory_keyring import MemoryKeyring

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper, KeeperLock, SignInResult
from hubtokens.core.secret import Secret
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.tokens import TokensController
from hubtokens.gui.pyside_fixes import guard_against_emit_leak
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.token_window import TokenWindow
from hubtokens.localhub import HubConfig, LocalHub

USER = "bench"
GOAL_MS = 50
SETTLE_TICKS = 10  # probe ticks after the listing, so painting the table is measured too
TIMEOUT_MS = 120_000
LATENCY = "latency:value=0.02,path=/v2/access-tokens"
# The bench lists many times a minute; the hub's default budget would stop it.
REQUESTS_PER_MINUTE = 1_000_000
SETUPS = {
    "separate": "hub in its own process, 20 ms per page",
    "separate-fast": "hub in its own process, no latency",
    "in-process": "hub in the app's process, no latency",
}


@dataclass(frozen=True)
class Run:
    filled_s: float
    stall_ms: float


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after start-up")
    parser.add_argument("--setup", choices=SETUPS, help=argparse.SUPPRESS)  # one child's
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        # a child: the password comes on stdin, the timings go to stdout as JSON
        password = sys.stdin.readline().strip()
        runs = measure(
            args.setup, args.data, password, args.runs, args.tokens + 1, freeze=args.gc_freeze
        )
        print(json.dumps([asdict(run) for run in runs]))
        return 0

    password = secrets.token_urlsafe(16)
    results: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "hub"
        seed_hub(data, USER, password, args.tokens)
        for setup in SETUPS:
            command = [sys.executable, __file__, "--setup", setup, "--data", str(data)]
            command += ["--runs", str(args.runs), "--tokens", str(args.tokens)]
            if args.gc_freeze:
                command.append("--gc-freeze")
            child = subprocess.run(
                command,
                input=password + "\n",
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise SystemExit(f"{setup}: the measuring process failed:\n{child.stderr}")
            results[setup] = [Run(**run) for run in json.loads(child.stdout.splitlines()[-1])]
    print(_table(results, args.tokens, args.runs, args.gc_freeze))
    return 0


def measure(
    setup: str, data: Path, password: str, runs: int, expected: int, *, freeze: bool
) -> list[Run]:
    """In this process: sign in, open the window, list ``runs`` + 1 times (the first warms up
    connections and caches and is not counted)."""
    app = QApplication([])
    guard_against_emit_leak()  # as the app does at start
    clients: dict[str, HubClient] = {}

    def client_for(url: str) -> HubClient:  # one client per hub, as gui/app.py has
        return clients.setdefault(url, HubClient(url, clock=_utc_now))

    with tempfile.TemporaryDirectory() as home, _hub(setup, data) as url:
        keeper = Keeper(
            client_for=client_for,
            vault=Vault(MemoryKeyring(), deadline=3.0),
            settings=SettingsStore(Path(home) / "settings.json"),
            lock=KeeperLock(Path(home) / "keeper.lock", timeout=10),
            clock=_utc_now,
            hostname="bench",
        )
        if not isinstance(keeper.sign_in(url, USER, Secret(password)), SignInResult):
            raise SystemExit("the bench user could not sign in")
        runner = TaskRunner(QThreadPool())
        controller = TokensController(runner, keeper, client_for, url, _utc_now)
        window = TokenWindow(controller, ClipboardGuard(app.clipboard()))
        window.show()
        if freeze:
            gc.freeze()
        timings = []
        for run in range(runs + 1):
            timing = _time_one(controller)
            if window.proxy.rowCount() != expected:
                raise SystemExit(f"the table has {window.proxy.rowCount()} rows, not {expected}")
            if run:
                timings.append(timing)
        runner.shutdown()
    return timings


def _hub(setup: str, data: Path) -> AbstractContextManager[str]:
    budget = ("--requests-per-minute", str(REQUESTS_PER_MINUTE))
    if setup == "separate":
        return hub_process(data, *budget, "--fault", LATENCY)
    if setup == "separate-fast":
        return hub_process(data, *budget)
    return _in_process_hub(data)


@contextmanager
def _in_process_hub(data: Path) -> Iterator[str]:
    with LocalHub(HubConfig(data_dir=data, requests_per_minute=REQUESTS_PER_MINUTE)) as hub:
        yield hub.url


def _time_one(controller: TokensController) -> Run:
    """One listing, from the click on Refresh until the table is filled and painted."""
    probe = StallProbe()
    loop = QEventLoop()
    filled: list[float] = []
    settle_at: list[int] = []

    def on_refreshed() -> None:
        filled.append(time.perf_counter())
        settle_at.append(probe.ticks + SETTLE_TICKS)

    def on_tick() -> None:
        if settle_at and probe.ticks >= settle_at[0]:
            loop.quit()

    controller.refreshed.connect(on_refreshed)
    controller.error.connect(loop.quit)
    probe.ticked.connect(on_tick)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(TIMEOUT_MS)
    probe.start()
    started = time.perf_counter()
    controller.refresh()
    loop.exec()
    longest = probe.stop()
    deadline.stop()
    controller.refreshed.disconnect(on_refreshed)
    controller.error.disconnect(loop.quit)
    if not filled:
        raise SystemExit("the table was not filled")
    return Run(filled[0] - started, longest * 1000)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _table(results: dict[str, list[Run]], tokens: int, runs: int, freeze: bool) -> str:
    lines = [
        f"The token window listing {tokens:,} tokens (offscreen), median of {runs} runs"
        f"{', with gc.freeze() after start-up' if freeze else ''}; "
        f"goal: no GUI-thread stall over {GOAL_MS} ms",
        "",
        "| setup | table filled (s) | longest stall, median (ms) | longest stall, worst (ms) |",
        "|---|---:|---:|---:|",
    ]
    for setup, timings in results.items():
        filled = statistics.median(t.filled_s for t in timings)
        stall = statistics.median(t.stall_ms for t in timings)
        worst = max(t.stall_ms for t in timings)
        lines.append(f"| {SETUPS[setup]} | {filled:.2f} | {stall:.0f} | {worst:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
