"""SIGKILL the desktop app itself at every step of the recreation it starts with; after a
restart of the app, one working auto token and no orphan on the hub.

test_kills.py kills the CLI, which runs the same keeper; this kills the real ``hubtokens-gui``
(offscreen), whose keeper runs on a worker thread beside Qt's event loop, the single-instance
lock and the helper's socket. The CLI signs in, then a recreation is made due (the token deleted
on the hub, or its secret dropped from the keychain) and the app is started through the pause
runner: its start-up reconcile stops at a named step (or, for the create request itself, the
hub holds the request) and the app is SIGKILLed there. Then the person starts the app again
(``hubtokens-gui --self-check``, which exits by itself and reports the health it shows). Right
after that restart nothing may be left on the hub but the recorded token; by the next restart
the budget allows a creation at (the recorded attempts aged by one budget interval; at most
two such restarts) exactly one working auto token exists, recorded, with its secret in the
keychain. Every restarted app's health (its ``--self-check`` idle line) fits what is on the hub
and in the keychain, and no process wrote a traceback.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from hubtokens.localhub import Fault, LocalHub
from tests.reliability.cliproc import CliHome, healthy, kill, wait_for, wait_until_arrived
from tests.reliability.conftest import Tally, full_scale, scaled
from tests.reliability.support import TOKENS, Instrumented
from tests.reliability.test_kills import DURING, RECREATE_STEPS, SECRET_LOST_STEPS
from tests.support.settings_file import age_creation_attempts

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

DELETED = "recreate (deleted on the hub)"
SECRET_LOST = "recreate (secret lost)"
SHORT = {DELETED: "deleted", SECRET_LOST: "secret-lost"}
MATRIX = [(DELETED, s) for s in RECREATE_STEPS] + [(SECRET_LOST, s) for s in SECRET_LOST_STEPS]
# One kill after the hub created the token and one after the keychain took its secret: the two
# points where a dead app leaves something behind. The whole matrix at full scale.
QUICK = [(DELETED, "after-create"), (SECRET_LOST, "after-keychain-write")]
CASES = MATRIX if full_scale() else QUICK
KILLED_APP_IDLE = "600"  # seconds: the killed app must not exit by itself first
RESTART_IDLE = "3"  # seconds after the window is shown; the start-up sync takes under 0.5 s


@pytest.mark.timeout(scaled(120, 240))
@pytest.mark.parametrize(("flow", "step"), CASES, ids=[f"{SHORT[f]}-{s}" for f, s in CASES])
def test_app_sigkilled_in_its_start_up_recreation_then_restarted_keeps_one_working_token(
    home: CliHome,
    local_hub: LocalHub,
    alice_password: str,
    tally: Tally,
    flow: str,
    step: str,
) -> None:
    home.make_recreation_due(alice_password, deleted_on_hub=flow == DELETED)

    watch = Instrumented(local_hub)
    args = ["--self-check", KILLED_APP_IDLE]
    if step == DURING:
        local_hub.set_faults(Fault("latency", value=2.0, path=TOKENS, method="POST"))
        process, _ = home.start_paused(args, None, gui=True)
        wait_until_arrived(watch, process)
    else:
        process, marker = home.start_paused(args, step, gui=True)
        wait_for(marker, process)
    _, killed_err = kill(process)
    assert "Traceback" not in killed_err, killed_err
    watch.wait_idle()  # a create the hub was holding takes effect now, with nobody to answer
    local_hub.clear_faults()
    created_before_restart = len(watch.creates())

    # The restart: the person starts the app again; its start-up reconcile runs.
    health = _restart(home)
    home.assert_no_orphan()
    _assert_health_fits(home, health)
    restart_health = health
    # The next reconcile the budget allows a creation at (10 minutes later), at most twice.
    rounds = 0
    while not healthy(home) and rounds < 2:
        age_creation_attempts(home.home, 11)
        health = _restart(home)
        home.assert_no_orphan()
        _assert_health_fits(home, health)
        rounds += 1
    home.assert_one_working_token()
    assert _restart(home) == "healthy"  # and once it has looked, the app says so
    tally.record(
        "Process kills: the desktop app itself (offscreen) SIGKILLed at every step of its "
        "start-up recreation, then restarted",
        1,
        "no orphan on the hub right after the restart; one working auto token (recorded, "
        "secret in the keychain) by the next budgeted restart at the latest; no traceback; "
        "the restarted app's health matches the outcome",
        cases=[f"{flow}: {step}"],
        hub_created_before_kill=created_before_restart,
        immediate_after_restart=int(rounds == 0),
        budgeted_restarts=rounds,
        health_after_restart={restart_health: 1},  # summed per health across the cases
    )


def _restart(home: CliHome) -> str:
    """Start the real app, let it do its start-up reconcile and exit; the health it showed."""
    result = home.run_gui("--self-check", RESTART_IDLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    idle = _json_lines(result)[-1]
    assert idle["event"] == "idle", result.stdout
    assert idle["syncing"] is False, "the start-up reconcile had not finished"
    return str(idle["health"])


def _assert_health_fits(home: CliHome, health: str) -> None:
    """Healthy only with one working token. Without one, the app must not say "healthy": it
    waits for the budget (attention) or cannot proceed (error). With one, "attention" is
    fair too: the app tells the person that it recreated the token."""
    if healthy(home):
        assert health in ("healthy", "attention"), health
    else:
        assert health in ("attention", "error"), health


def _json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
