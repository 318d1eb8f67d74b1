"""Vault behaviour on the in-memory backend and on keyring's unusable backends."""

from __future__ import annotations

import sys
from pathlib import Path

import keyring.backend
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordSetError

from hubtokens.core.errors import ExitCode, VaultError, VaultUnavailable
from hubtokens.core.secret import Secret
from hubtokens.core.vault import (
    KINDS,
    MAX_SECRET_BYTES,
    SERVICE,
    InvalidSecret,
    Vault,
    VaultDiagnostics,
    vault_key,
)
from tests.support.memory_keyring import MemoryKeyring

HUB = "https://hub.example.test"
OTHER_HUB = "http://127.0.0.1:5000"
# Made up at import, so no secret-looking literal sits in the file.
VALUE = "tok_" + "x1" * 20


def test_service_name_and_key_format() -> None:
    assert SERVICE == "hubtokens"
    assert vault_key("session", HUB, "alice") == f"session:alice@{HUB}"
    assert vault_key("auto-token", HUB + "/", "alice") == f"auto-token:alice@{HUB}"


@pytest.mark.parametrize(
    ("kind", "hub_url", "account"),
    [
        ("password", HUB, "alice"),
        ("session", HUB, ""),
        ("session", "", "alice"),
        ("session", HUB, "al ice"),
        ("session", HUB, "alice\n"),
        ("session", "https://bob@hub.example.test", "alice"),
    ],
)
def test_vault_key_rejects_bad_parts(kind: str, hub_url: str, account: str) -> None:
    with pytest.raises(ValueError):
        vault_key(kind, hub_url, account)


_printable = st.characters(codec="utf-8", exclude_categories=("Z", "C"))
_slot = st.tuples(
    st.sampled_from(KINDS),
    st.text(_printable.filter(lambda c: c != "@"), min_size=1).filter(lambda s: s.strip("/")),
    st.text(_printable, min_size=1),
)


@given(a=_slot, b=_slot)
def test_vault_key_never_collides(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    def normal(slot: tuple[str, str, str]) -> tuple[str, str, str]:
        return slot[0], slot[1].rstrip("/"), slot[2]

    assume(normal(a) != normal(b))
    assert vault_key(*a) != vault_key(*b)


def test_round_trip(memory_vault: Vault, memory_keyring: MemoryKeyring) -> None:
    assert memory_vault.get_session(HUB, "alice") is None
    memory_vault.put_session(HUB, "alice", Secret(VALUE))
    memory_vault.put_auto_token(HUB, "alice", Secret(VALUE + "2"))
    assert memory_vault.get_session(HUB, "alice") == Secret(VALUE)
    assert memory_vault.get_auto_token(HUB, "alice") == Secret(VALUE + "2")
    assert memory_keyring.items == {
        (SERVICE, f"session:alice@{HUB}"): VALUE,
        (SERVICE, f"auto-token:alice@{HUB}"): VALUE + "2",
    }
    memory_vault.put_session(HUB, "alice", Secret(VALUE + "3"))  # overwrite
    assert memory_vault.get_session(HUB, "alice") == Secret(VALUE + "3")
    memory_vault.delete_session(HUB, "alice")
    memory_vault.delete_auto_token(HUB, "alice")
    assert memory_vault.get_session(HUB, "alice") is None
    assert memory_keyring.items == {}


def test_hubs_and_accounts_do_not_collide(memory_vault: Vault) -> None:
    slots = [(hub, account) for hub in (HUB, OTHER_HUB) for account in ("alice", "bob")]
    for i, (hub, account) in enumerate(slots):
        memory_vault.put_auto_token(hub, account, Secret(f"{VALUE}{i}"))
    for i, (hub, account) in enumerate(slots):
        assert memory_vault.get_auto_token(hub, account) == Secret(f"{VALUE}{i}")
        assert memory_vault.get_session(hub, account) is None


def test_delete_missing_is_fine(memory_vault: Vault) -> None:
    memory_vault.delete_session(HUB, "nobody")
    memory_vault.delete_auto_token(HUB, "nobody")
    assert memory_vault.diagnostics().last_error is None


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (Secret(""), "empty"),
        (Secret("x" * (MAX_SECRET_BYTES + 1)), "16 KiB"),
        (Secret("é" * (MAX_SECRET_BYTES // 2 + 1)), "16 KiB"),  # counted in UTF-8 bytes
        (Secret("\ud800"), "Unicode"),
    ],
)
def test_put_refuses_unstorable_secrets(
    memory_vault: Vault, memory_keyring: MemoryKeyring, secret: Secret, message: str
) -> None:
    with pytest.raises(InvalidSecret, match=message) as info:
        memory_vault.put_session(HUB, "alice", secret)
    assert info.value.exit_code == ExitCode.USAGE
    assert isinstance(info.value, VaultError)
    assert memory_keyring.calls == 0


def test_put_takes_secret_objects_only(memory_vault: Vault) -> None:
    with pytest.raises(TypeError):
        memory_vault.put_session(HUB, "alice", VALUE)  # type: ignore[arg-type]


def test_largest_secret_fits(memory_vault: Vault) -> None:
    big = Secret("x" * MAX_SECRET_BYTES)
    memory_vault.put_session(HUB, "alice", big)
    assert memory_vault.get_session(HUB, "alice") == big


# --- unusable backends: fail closed ----------------------------------------------------------


class _LowPriority(MemoryKeyring):
    priority = 0.5  # like keyrings.alt's plaintext file backends


class _NotViable(MemoryKeyring):
    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("the daemon is not running")


# Keep these doubles out of keyring's own backend discovery.
keyring.backend.KeyringBackend._classes.difference_update({_LowPriority, _NotViable})


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (fail.Keyring(), "'fail Keyring', its stand-in for no keychain"),
        (null.Keyring(), "'null Keyring' accepts secrets and silently stores nothing"),
        (_LowPriority(), "is not an OS keychain (keyring priority 0.5)"),
        (_NotViable(), "is not usable: the daemon is not running"),
    ],
)
def test_unusable_backend_is_refused_with_reason_and_fix(backend: KeyringBackend, why: str) -> None:
    vault = Vault(backend, deadline=1)
    calls = [
        lambda: vault.get_session(HUB, "alice"),
        lambda: vault.put_session(HUB, "alice", Secret(VALUE)),
        lambda: vault.delete_session(HUB, "alice"),
        lambda: vault.get_auto_token(HUB, "alice"),
        lambda: vault.put_auto_token(HUB, "alice", Secret(VALUE)),
        lambda: vault.delete_auto_token(HUB, "alice"),
    ]
    for call in calls:
        with pytest.raises(VaultUnavailable) as info:
            call()
        assert why in info.value.message
        assert info.value.message.startswith("no secure keychain")
        assert "gnome-keyring" in (info.value.hint or "")
    if isinstance(backend, MemoryKeyring):
        assert backend.calls == 0  # nothing written, nothing read
    diagnostics = vault.diagnostics()
    assert diagnostics.backend == type(backend).name
    assert diagnostics.secure is False
    assert diagnostics.locked is None
    assert why in (diagnostics.last_error or "")
    assert "dbus-run-session" in (diagnostics.hint or "")


def test_chainer_without_real_keychain_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    with pytest.raises(VaultUnavailable, match="chains no keychain"):
        Vault(chainer.ChainerBackend(), deadline=1).get_session(HUB, "alice")
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [MemoryKeyring(), _LowPriority()])
    with pytest.raises(VaultUnavailable, match="chains a backend that is not usable"):
        Vault(chainer.ChainerBackend(), deadline=1).get_session(HUB, "alice")


def test_chainer_of_real_keychains_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [MemoryKeyring(), MemoryKeyring()])
    vault = Vault(chainer.ChainerBackend(), deadline=1)
    vault.put_session(HUB, "alice", Secret(VALUE))
    assert vault.get_session(HUB, "alice") == Secret(VALUE)


@pytest.mark.skipif(sys.platform != "linux", reason="Secret Service is the Linux keychain")
@pytest.mark.usefixtures("fresh_keyring_discovery")
def test_no_session_bus_names_the_missing_piece(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no keyringrc.cfg choosing a backend
    vault = Vault(deadline=3)
    assert vault.diagnostics().backend == "fail Keyring"
    with pytest.raises(VaultUnavailable) as info:
        vault.put_auto_token(HUB, "alice", Secret(VALUE))
    assert "fail Keyring" in info.value.message
    assert "DBUS_SESSION_BUS_ADDRESS is unset" in info.value.message
    assert "Secret Service provider" in (info.value.hint or "")


# --- errors from the backend -----------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        KeyringLocked("Failed to unlock the collection!"),
        InitError("Failed to create the collection: Prompt dismissed.."),
    ],
)
def test_locked_backend(
    memory_vault: Vault, memory_keyring: MemoryKeyring, error: Exception
) -> None:
    memory_keyring.fail_with(error)
    with pytest.raises(VaultUnavailable, match=r"^the keychain is locked$") as info:
        memory_vault.get_session(HUB, "alice")
    assert "unlock your login keyring" in (info.value.hint or "")
    assert memory_vault.diagnostics().last_error == "the keychain is locked"


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (NoKeyringError("No recommended backend"), VaultUnavailable, "no keychain is available"),
        (InitError("bad collection"), VaultUnavailable, "could not be opened: bad collection"),
        (ConnectionResetError("reset"), VaultUnavailable, "not answering: reset"),
        (PasswordSetError("denied"), VaultError, "keychain failed: PasswordSetError: denied"),
        (RuntimeError("boom"), VaultError, "the keychain failed: RuntimeError: boom"),
    ],
)
def test_backend_errors_are_mapped(
    memory_vault: Vault,
    memory_keyring: MemoryKeyring,
    error: Exception,
    kind: type[VaultError],
    message: str,
) -> None:
    memory_keyring.fail_with(error)
    with pytest.raises(kind, match=message) as info:
        memory_vault.put_session(HUB, "alice", Secret(VALUE))
    assert type(info.value) is kind
    assert info.value.__cause__ is None
    assert memory_vault.diagnostics().last_error == info.value.message


def test_success_clears_last_error(memory_vault: Vault, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.fail_with(RuntimeError("boom"))
    with pytest.raises(VaultError):
        memory_vault.get_session(HUB, "alice")
    memory_keyring.fail_with(None)
    assert memory_vault.get_session(HUB, "alice") is None
    assert memory_vault.diagnostics() == VaultDiagnostics(
        backend="memory keyring MemoryKeyring",
        secure=True,
        locked=None,
        last_error=None,
        hint=None,
    )


def test_secret_never_in_messages_or_reprs(
    memory_vault: Vault, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.fail_with(RuntimeError(f"cannot store {VALUE} here"))
    with pytest.raises(VaultError) as info:
        memory_vault.put_auto_token(HUB, "alice", Secret(VALUE))
    error = info.value
    diagnostics = memory_vault.diagnostics()
    for text in (str(error), repr(error), error.message, error.hint, repr(diagnostics)):
        assert VALUE not in str(text)
    assert "cannot store **** here" in error.message
    memory_keyring.fail_with(None)
    memory_vault.put_auto_token(HUB, "alice", Secret(VALUE))
    found = memory_vault.get_auto_token(HUB, "alice")
    assert VALUE not in repr(found) + str(found)
    assert VALUE not in repr(memory_vault.diagnostics())


def test_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Vault(MemoryKeyring(), deadline=0)
