"""A locked, stuck or missing keychain: a clear message and exit 1, fast, never a prompt."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubtokens.credhelper.errors import LOCKED
from hubtokens.credhelper.main import DEADLINE_SECONDS
from tests.credhelper.conftest import Helper, new_token
from tests.fixtures.keychain import _BUS_CONFIG, START_SECONDS

pytestmark = pytest.mark.secret_service


def timed(
    helper: Helper, *args: str, stdin: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = helper(*args, stdin=stdin, env=env)
    return result, time.monotonic() - started


def test_a_locked_keychain_is_reported_at_once(helper: Helper) -> None:
    helper.sign_in()
    helper.secret_service.lock()

    result, elapsed = timed(helper, "get", stdin="docker.io")

    assert (result.returncode, result.stdout) == (1, LOCKED + "\n")
    assert elapsed < 2
    assert helper.secret_service.is_locked()  # no unlock, no prompt


def test_store_and_erase_on_a_locked_keychain_change_nothing(helper: Helper) -> None:
    helper.sign_in()
    theirs = new_token()
    login = json.dumps({"ServerURL": "docker.io", "Username": "bob", "Secret": theirs})
    assert helper("store", stdin=login).returncode == 0
    state = helper.cli_state_file().read_bytes()
    helper.secret_service.lock()

    stored = helper("store", stdin=login.replace("bob", "carol"))
    erased = helper("erase", stdin="docker.io")

    assert (stored.returncode, stored.stdout) == (1, LOCKED + "\n")
    assert (erased.returncode, erased.stdout) == (1, LOCKED + "\n")
    assert helper.cli_state_file().read_bytes() == state
    helper.secret_service.unlock()
    assert helper.items()["docker-login:bob@https://index.docker.io/v1"] == theirs


def test_a_keychain_that_does_not_answer_times_out(helper: Helper) -> None:
    helper.sign_in()
    with helper.secret_service.frozen():
        result, elapsed = timed(helper, "get", stdin="https://index.docker.io/v1/")

    assert result.returncode == 1
    assert result.stdout.startswith(f"the keychain did not answer within {DEADLINE_SECONDS:g} s")
    assert DEADLINE_SECONDS - 0.2 < elapsed < DEADLINE_SECONDS + 0.5


def test_no_session_bus_at_all(helper: Helper, tmp_path: Path) -> None:
    helper.sign_in()
    empty_runtime = tmp_path / "run"
    empty_runtime.mkdir(mode=0o700)
    env = {**helper.env, "XDG_RUNTIME_DIR": str(empty_runtime)}
    del env["DBUS_SESSION_BUS_ADDRESS"]
    helper.env = env

    result = helper("get", stdin="docker.io")

    assert result.returncode == 1
    assert result.stdout.startswith("no keychain: no D-Bus session bus")
    assert "dbus-run-session" in result.stdout


def test_a_bus_address_where_nobody_listens(helper: Helper) -> None:
    helper.sign_in()
    result = helper(
        "get", stdin="docker.io", env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    )
    assert result.returncode == 1
    assert result.stdout.startswith("no keychain: cannot reach the D-Bus session bus")


@pytest.fixture
def bare_bus(tmp_path: Path) -> Iterator[str]:
    """A session bus on which nobody provides the Secret Service (and nothing is activatable)."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("needs dbus-daemon")
    runtime = tmp_path / "bare-bus"
    runtime.mkdir(mode=0o700)
    config = tmp_path / "bare-bus.conf"
    config.write_text(_BUS_CONFIG.format(runtime=runtime))
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert bus.stdout is not None
        with bus.stdout:
            address = bus.stdout.readline().decode().strip()
        assert address, "dbus-daemon printed no address"
        yield address
    finally:
        bus.terminate()
        bus.wait(timeout=START_SECONDS)


def test_a_bus_without_a_secret_service(helper: Helper, bare_bus: str) -> None:
    helper.sign_in()
    result, elapsed = timed(
        helper, "get", stdin="docker.io", env={"DBUS_SESSION_BUS_ADDRESS": bare_bus}
    )
    assert result.returncode == 1
    assert result.stdout.startswith("no keychain: no Secret Service is running")
    assert elapsed < 2
