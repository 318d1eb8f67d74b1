"""Two app instances started at once, and the CLI running ``sync`` while the app reconciles:
still exactly one auto token.

Each round makes a recreation due (the token deleted on the hub, the budget allowing one
attempt) and then releases, at the same instant, two processes built as the desktop app builds
its keeper (``gui/app.py``: real keychain, real hub client, the keeper lock in the state
folder; no Qt) and two ``hubtokens sync`` processes. The hub is slowed a little so that they
really overlap. Exactly one creation request reaches the hub, one token is left, recorded, with
its secret in the keychain; everyone else waits for the lock and then finds it healthy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hubtokens.localhub import Fault, LocalHub
from tests.reliability.cliproc import BIN, CliHome
from tests.reliability.conftest import Tally, scaled
from tests.reliability.support import Instrumented
from tests.support.settings_file import age_creation_attempts

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

ROUNDS = scaled(1, 10)

# The app's composition of the keeper (gui/app.py _build_app), minus Qt.
APP_LIKE = """
import json, os, socket, sys, time
from datetime import UTC, datetime
from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper, KeeperLock
from hubtokens.core.paths import AppPaths
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault

go, ready = sys.argv[1], sys.argv[2]
paths = AppPaths.default(os.environ)
keeper = Keeper(
    client_for=lambda url: HubClient(url),
    vault=Vault(),
    settings=SettingsStore(paths.settings_file),
    lock=KeeperLock(paths.keeper_lock_file),
    clock=lambda: datetime.now(UTC),
    hostname=socket.gethostname(),
)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
report = keeper.reconcile(os.environ["HUBTOKENS_HUB_URL"])
print(json.dumps({"outcome": report.action.verdict.value, "created": report.created is not None}))
"""

CLI_AT_GO = """
import os, sys, time
import hubtokens.cli.context, hubtokens.core.hub.client, hubtokens.core.keeper, keyring
from hubtokens.cli.main import main
go, ready = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
sys.exit(main(["sync", "--json"]))
"""


@pytest.fixture
def home(home: CliHome, alice_password: str) -> CliHome:
    """conftest's home, signed in."""
    assert home.sign_in(alice_password).returncode == 0
    return home


@pytest.mark.timeout(scaled(120, 900))
def test_two_app_instances_and_two_cli_syncs_at_once_leave_one_auto_token(
    home: CliHome, local_hub: LocalHub, tally: Tally
) -> None:
    watch = Instrumented(local_hub)
    local_hub.set_faults(Fault("latency", value=0.1))  # so that they really overlap
    outcomes: list[str] = []
    for n in range(ROUNDS):
        local_hub.delete_token(home.assert_one_working_token())
        age_creation_attempts(home.home, 25 * 60)  # the budget: 10 min apart, 3 a day
        creates_before = len(watch.creates())
        go = home.home.parent / f"go-{n}"
        ready = [home.home.parent / f"ready-{n}-{i}" for i in range(4)]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(go), str(ready[i])],
                env=home.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i, script in enumerate((APP_LIKE, APP_LIKE, CLI_AT_GO, CLI_AT_GO))
        ]
        deadline = time.monotonic() + 30
        while not all(path.exists() for path in ready):  # all four loaded and waiting
            assert time.monotonic() < deadline and all(p.poll() is None for p in processes)
            time.sleep(0.01)
        go.touch()
        results = [p.communicate(timeout=120) for p in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, out + err
            assert "Traceback" not in err, err
            outcomes.append(json.loads(out)["outcome"])
        watch.wait_idle()
        assert len(watch.creates()) - creates_before == 1, "not exactly one creation request"
        home.assert_one_working_token()
    assert outcomes.count("create") == ROUNDS, outcomes
    assert set(outcomes) == {"create", "healthy"}, outcomes
    tally.record(
        "Concurrency: two app instances (the app's keeper composition, no Qt) and two CLI "
        "`sync` released at the same instant while a recreation is due",
        ROUNDS,
        "exactly one creation request per round; one auto token, recorded, secret in the "
        "keychain; the other three waited for the keeper lock and found it healthy",
        processes=4 * ROUNDS,
    )


@pytest.mark.timeout(scaled(120, 900))
def test_two_real_app_instances_started_at_once_with_a_cli_sync_leave_one_auto_token(
    home: CliHome, local_hub: LocalHub, tally: Tally
) -> None:
    """The desktop app itself (offscreen): it checks the token when it starts."""
    watch = Instrumented(local_hub)
    local_hub.set_faults(Fault("latency", value=0.4))  # a reconcile takes over a second
    env = {**home.env, "QT_QPA_PLATFORM": "offscreen"}
    outcomes = []
    for n in range(ROUNDS):
        local_hub.delete_token(home.assert_one_working_token())
        age_creation_attempts(home.home, 25 * 60)  # the budget: 10 min apart, 3 a day
        creates_before = len(watch.creates())
        commands = [[str(BIN / "hubtokens-gui"), "--self-check", "3"]] * 2 + [
            [sys.executable, "-m", "hubtokens", "sync"]
        ]
        processes = []
        for command in commands:
            if command[0] == sys.executable and n % 2 == 0:
                time.sleep(1.5)  # every other round, the CLI comes while the app reconciles
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            )
        results = [p.communicate(timeout=90) for p in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert process.returncode in (0, 6), out + err  # 6: the CLI waited, then budget
            assert "Traceback" not in err, err
        outcomes.append(results[2][0].strip())
        watch.wait_idle()
        assert len(watch.creates()) - creates_before == 1, "not exactly one creation request"
        home.assert_one_working_token()
    tally.record(
        "Concurrency: two real desktop apps (offscreen) started at the same instant, and a "
        "CLI `sync`, while a recreation is due",
        ROUNDS,
        "exactly one creation request per round and one working auto token; the second app "
        "hands off to the first, and whoever comes second finds the token healthy",
        processes=3 * ROUNDS,
    )
