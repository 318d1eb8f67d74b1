"""The vault on a real Secret Service: gnome-keyring on a private D-Bus session."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import keyring.core
import pytest

from hubtokens.core.errors import VaultUnavailable
from hubtokens.core.secret import Secret
from hubtokens.core.vault import SERVICE, Vault, vault_key
from tests.fixtures.keychain import SECRET_SERVICE_DEADLINE, SecretService

pytestmark = pytest.mark.secret_service

HUB = "https://hub.example.test"
OTHER_HUB = "http://127.0.0.1:5000"
VALUE = "tok_" + "z3" * 20
SLACK = 0.5


def timed(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    start = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


def test_round_trip(secret_service_vault: Vault) -> None:
    vault = secret_service_vault
    assert vault.get_session(HUB, "alice") is None
    vault.put_session(HUB, "alice", Secret(VALUE))
    vault.put_auto_token(HUB, "alice", Secret(VALUE + "é✓"))  # non-ASCII survives
    assert vault.get_session(HUB, "alice") == Secret(VALUE)
    assert vault.get_auto_token(HUB, "alice") == Secret(VALUE + "é✓")
    vault.put_session(HUB, "alice", Secret(VALUE + "2"))  # replaces, never duplicates
    assert vault.get_session(HUB, "alice") == Secret(VALUE + "2")
    vault.delete_session(HUB, "alice")
    vault.delete_session(HUB, "alice")  # missing is fine
    vault.delete_auto_token(HUB, "alice")
    assert vault.get_session(HUB, "alice") is None
    assert vault.get_auto_token(HUB, "alice") is None
    assert vault.diagnostics().last_error is None


def test_items_are_found_by_the_documented_attributes(
    secret_service_vault: Vault, secret_service: SecretService
) -> None:
    """The contract the credential helper relies on: service=hubtokens, username=<key>."""
    secret_service_vault.put_auto_token(HUB, "alice", Secret(VALUE))
    secret_service_vault.put_session(HUB, "alice", Secret(VALUE + "s"))
    for kind, expected in (("auto-token", VALUE), ("session", VALUE + "s")):
        found = secret_service.run(
            "secret-tool", "lookup", "service", SERVICE, "username", vault_key(kind, HUB, "alice")
        )
        assert found.returncode == 0, found.stderr
        assert found.stdout == expected
    missing = secret_service.run(
        "secret-tool", "lookup", "service", SERVICE, "username", vault_key("session", HUB, "bob")
    )
    assert missing.stdout == ""
    assert secret_service.delete_items() == 2


def test_hubs_and_accounts_do_not_collide(secret_service_vault: Vault) -> None:
    slots = [(hub, account) for hub in (HUB, OTHER_HUB) for account in ("alice", "bob")]
    for i, (hub, account) in enumerate(slots):
        secret_service_vault.put_auto_token(hub, account, Secret(f"{VALUE}{i}"))
    for i, (hub, account) in enumerate(slots):
        assert secret_service_vault.get_auto_token(hub, account) == Secret(f"{VALUE}{i}")
        assert secret_service_vault.get_session(hub, account) is None


def test_healthy_diagnostics(secret_service_vault: Vault) -> None:
    diagnostics = secret_service_vault.diagnostics()
    assert diagnostics.backend == "SecretService Keyring"
    assert diagnostics.secure is True
    assert diagnostics.locked is False
    assert diagnostics.last_error is None
    assert diagnostics.hint is None


def test_locked_collection_is_a_clear_fast_error(
    secret_service_vault: Vault, secret_service: SecretService
) -> None:
    vault = secret_service_vault
    vault.put_session(HUB, "alice", Secret(VALUE))
    secret_service.lock()
    before = vault.diagnostics()
    assert (before.locked, before.last_error) == (True, None)
    assert "unlock your login keyring" in (before.hint or "")
    # The first call asks gnome-keyring to unlock; with no prompter it is dismissed at once.
    for call in (
        lambda: vault.get_session(HUB, "alice"),
        lambda: vault.put_auto_token(HUB, "alice", Secret(VALUE)),
        lambda: vault.delete_session(HUB, "alice"),
    ):
        error, elapsed = timed(call)
        assert isinstance(error, VaultUnavailable)
        assert error.message == "the keychain is locked"
        assert "unlock your login keyring" in (error.hint or "")
        assert VALUE not in f"{error!r} {error.hint}"
        assert elapsed < 1.0
    diagnostics = vault.diagnostics()
    assert diagnostics.locked is True
    assert diagnostics.secure is True
    assert diagnostics.last_error == "the keychain is locked"
    assert "unlock" in (diagnostics.hint or "")
    assert secret_service.is_locked()  # nothing was changed behind the person's back

    secret_service.unlock()  # as the person would, in their keyring manager
    assert vault.get_session(HUB, "alice") == Secret(VALUE)  # the delete never ran
    assert vault.get_auto_token(HUB, "alice") is None  # nor the put
    assert vault.diagnostics().locked is False


def test_frozen_daemon_times_out_then_recovers(
    secret_service_vault: Vault, secret_service: SecretService
) -> None:
    vault = secret_service_vault
    vault.put_session(HUB, "alice", Secret(VALUE))
    with secret_service.frozen():
        error, elapsed = timed(lambda: vault.get_session(HUB, "alice"))
        assert isinstance(error, VaultUnavailable)
        assert error.message == (
            f"the keychain did not answer within {SECRET_SERVICE_DEADLINE:g} s"
        )
        assert SECRET_SERVICE_DEADLINE <= elapsed < SECRET_SERVICE_DEADLINE + SLACK
        error, elapsed = timed(lambda: vault.put_session(HUB, "alice", Secret(VALUE)))
        assert isinstance(error, VaultUnavailable)
        assert elapsed < 0.05
        diagnostics = vault.diagnostics()
        assert diagnostics.locked is None
        assert "did not answer" in (diagnostics.last_error or "")
    end = time.monotonic() + 5
    while (error := timed(lambda: vault.get_session(HUB, "alice"))[0]) is not None:
        assert time.monotonic() < end, error
        time.sleep(0.02)
    assert vault.get_session(HUB, "alice") == Secret(VALUE)
    assert vault.diagnostics().last_error is None


@pytest.mark.usefixtures("secret_service_vault", "fresh_keyring_discovery")
def test_default_vault_discovers_secret_service_lazily(
    secret_service: SecretService, tmp_path: Path
) -> None:
    vault = Vault()
    assert keyring.core._keyring_backend is None  # nothing discovered at construction
    vault.put_session(HUB, "alice", Secret(VALUE))
    assert vault.diagnostics().backend == "SecretService Keyring"
    found = secret_service.run(
        "secret-tool", "lookup", "service", SERVICE, "username", vault_key("session", HUB, "alice")
    )
    assert found.stdout == VALUE


def test_every_connection_is_introduced_before_a_property_read(
    secret_service_vault: Vault, secret_service: SecretService
) -> None:
    """Under load gnome-keyring can take a new connection's first call before it knows the
    connection, and a property read then aborts it (issue 10): each connection the vault opens
    must start with a method call. Read off the bus itself with dbus-monitor."""
    monitor = subprocess.Popen(
        ["dbus-monitor", "--address", secret_service.address],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert monitor.stdout is not None
        monitor.stdout.readline()  # it is watching once it says anything
        secret_service_vault.put_auto_token(HUB, "alice", Secret(VALUE))
        assert secret_service_vault.get_auto_token(HUB, "alice") == Secret(VALUE)
        secret_service_vault.delete_auto_token(HUB, "alice")
    finally:
        time.sleep(0.2)  # the last calls reach the monitor
        monitor.terminate()
        seen, _ = monitor.communicate(timeout=10)
    first_calls: dict[str, str] = {}
    for line in seen.splitlines():
        call = re.match(
            r"method call .*sender=(\S+) -> destination=org\.freedesktop\.secrets .*"
            r"interface=(\S+); member=(\S+)",
            line,
        )
        if call is not None:
            first_calls.setdefault(call[1], f"{call[2]}.{call[3]}")
    assert len(first_calls) >= 3, seen  # one connection per call at least
    assert set(first_calls.values()) == {"org.freedesktop.Secret.Service.ReadAlias"}, first_calls
