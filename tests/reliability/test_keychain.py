"""Keychain faults with the real gnome-keyring and the real CLI: locked, unavailable, not
answering, and failing on write after the hub created the token.

In every case the auto token was deleted on the hub first, so the keeper *wants* to create:
while it cannot store a secret it must create nothing (or take back what it created), keep
every keychain entry it had, say clearly why (exit 5), and heal once the keychain is back.
"""

from __future__ import annotations

import time

import pytest

from hubtokens.localhub import LocalHub
from tests.fixtures.keychain import SecretService
from tests.reliability.cliproc import CliHome, wait_for
from tests.reliability.conftest import Tally
from tests.reliability.support import Instrumented
from tests.support.settings_file import age_creation_attempts

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]


@pytest.fixture
def home(home: CliHome, alice_password: str) -> CliHome:
    """conftest's home, signed in, with a recreation due."""
    home.make_recreation_due(alice_password, deleted_on_hub=True)
    return home


def _heals(home: CliHome) -> None:
    age_creation_attempts(home.home, 11)
    result = home.run("sync")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Recreated the auto token" in result.stdout
    home.assert_one_working_token()


@pytest.mark.parametrize("fault", ["locked", "unavailable", "not answering"])
def test_an_unusable_keychain_creates_nothing_and_loses_nothing(
    home: CliHome, local_hub: LocalHub, secret_service: SecretService, tally: Tally, fault: str
) -> None:
    before = home.keychain()
    watch = Instrumented(local_hub)
    env = None
    started = time.monotonic()
    if fault == "locked":
        secret_service.lock()
        result = home.run("sync")
        secret_service.unlock()
        expected = "locked"
    elif fault == "unavailable":
        env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={home.home}/no-bus"}
        result = home.run("sync", env=env)
        expected = "keychain"
    else:
        with secret_service.frozen():
            result = home.run("sync")
        expected = "did not answer"
    took = time.monotonic() - started

    assert result.returncode == 5, result.stdout + result.stderr
    text = (result.stdout + result.stderr).lower()
    assert expected in text and "Traceback" not in result.stderr
    assert watch.requests == [] and home.ours() == []  # the hub was not even asked
    assert home.keychain() == before  # nothing lost, nothing added
    if fault == "unavailable":  # never a silent plaintext fallback
        settings = home.settings_file.read_bytes()
        assert all(secret.encode() not in settings for secret in before.values())
    assert took < 15, f"took {took:.1f} s"
    _heals(home)
    tally.record(
        "Keychain faults: locked, unavailable (no Secret Service), not answering (daemon "
        "SIGSTOPped) while a recreation is due",
        1,
        "exit 5 with the reason, hub not asked, nothing created, every keychain entry kept; "
        "recreated once the keychain is back",
        cases=[fault],
    )


@pytest.mark.parametrize("fault", ["locked", "not answering"])
def test_a_keychain_that_fails_the_write_after_the_create_gets_the_token_taken_back(
    home: CliHome, local_hub: LocalHub, secret_service: SecretService, tally: Tally, fault: str
) -> None:
    session = home.stored("session")
    watch = Instrumented(local_hub)
    process, marker = home.start_paused(["sync"], "after-create")
    wait_for(marker, process)
    assert len(home.ours()) == 1  # the hub created it; only the process holds its secret
    if fault == "locked":
        secret_service.lock()
        marker.unlink()  # go on: the keychain write fails
        out, err = process.communicate(timeout=60)
        secret_service.unlock()
    else:
        with secret_service.frozen():
            marker.unlink()  # go on: the keychain write hangs past the deadline
            out, err = process.communicate(timeout=60)
        # The daemon may still carry out the write it was sent: let it, then look.
        time.sleep(0.5)

    assert process.returncode == 5, out + err
    assert "created a token but could not store it" in out.lower() + err.lower()
    assert home.ours() == [], "a token nobody can use was left on the hub"
    deletes = [r for r in watch.requests if r.method == "DELETE"]
    assert len(deletes) == 1 and deletes[0].status == 204
    record = home.record()
    assert record is not None and record["pending_create"] is None
    assert home.stored("session") == session
    _heals(home)
    tally.record(
        "Keychain faults: the write fails (locked) or times out (daemon frozen) after the hub "
        "created the token",
        1,
        "the new token is deleted on the hub at once (no orphan), exit 5, session kept; "
        "recreated once the keychain is back",
        cases=[fault],
    )
