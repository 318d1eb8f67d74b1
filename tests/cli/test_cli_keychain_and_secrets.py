"""The keychain failing (missing, locked, not answering) and secrets never leaking."""

from __future__ import annotations

import time
from pathlib import Path

from hubtokens.localhub import LocalHub
from tests.cli.conftest import Cli
from tests.fixtures.keychain import SecretService


def test_no_keychain_fails_closed_and_says_how_to_fix_it(
    cli: Cli, local_hub: LocalHub, alice_password: str
) -> None:
    result = cli.sign_in(
        "alice", alice_password, env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    )

    assert result.returncode == 5
    assert result.stderr.startswith("error: ")
    assert "keychain" in result.stderr.lower()
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert local_hub.tokens("alice") == []  # nothing created that could not be stored
    assert not (cli.home / "config" / "settings.json").exists()
    assert not any(p.is_file() for p in cli.home.rglob("*") if p.name != "keeper.lock")


def test_locked_keychain_is_reported_as_locked(
    signed_in_cli: Cli, secret_service: SecretService
) -> None:
    secret_service.lock()
    try:
        result = signed_in_cli("token", "print")
    finally:
        secret_service.restore()

    assert result.returncode == 5
    assert "locked" in result.stderr
    assert result.stdout == ""


def test_keychain_that_does_not_answer_times_out_with_a_clear_error(
    signed_in_cli: Cli, secret_service: SecretService
) -> None:
    started = time.monotonic()
    with secret_service.frozen():
        result = signed_in_cli("sync")
    elapsed = time.monotonic() - started

    assert result.returncode == 5
    assert "keychain" in (result.stdout + result.stderr).lower()
    assert elapsed < 10  # a 3 s deadline plus start-up, never a hang


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_no_secret_reaches_output_logs_or_files(
    cli: Cli, local_hub: LocalHub, alice_password: str, secret_service: SecretService
) -> None:
    # A known PAT, a known password and the auto token: none may appear outside the keychain
    # except where the person asked to see it (token create / token print on stdout).
    _, known_pat = local_hub.create_token("alice", "known", scopes=("repo:read",))
    assert cli.sign_in("alice", known_pat).returncode == 0
    assert cli("status").returncode == 0
    assert cli("signout").returncode == 0
    assert cli.sign_in("alice", alice_password, "--debug").returncode == 0
    auto_token = cli("token", "print").stdout.strip()
    created = cli("token", "create", "--description", "scan", "--debug")
    new_secret = created.stdout.strip()
    for args in (
        ("status", "--debug"),
        ("sync", "--debug"),
        ("token", "ls", "--debug"),
        ("status", "--json"),
    ):
        assert cli(*args).returncode == 0

    intended = {auto_token, new_secret}
    seen = [text for text in cli.transcript if text.strip() not in intended]
    files = files_under(
        cli.home,
        Path(secret_service.env["HOME"]) / ".config",
        Path(secret_service.env["HOME"]) / ".cache",
    )
    for secret in (known_pat, alice_password, auto_token, new_secret):
        assert secret, "each secret must be known to the scan"
        for text in seen:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
