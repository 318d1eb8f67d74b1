"""``hubtokens scan --identify/--deactivate`` as the real program, against the local Hub over HTTP
and a real keychain. Token strings are made at run time."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hubtokens.core.errors import AuthenticationFailed
from hubtokens.core.hub.client import HubClient
from hubtokens.core.secret import Secret
from hubtokens.localhub import Fault, LocalHub
from tests.cli.conftest import Cli

AUTH_PATH = "/v2/auth/token"


def auth_statuses(hub: LocalHub) -> list[int]:
    return [status for _method, path, status in hub.request_log if path == AUTH_PATH]


def is_active(hub: LocalHub, username: str, uuid: str) -> bool:
    (token,) = [t for t in hub.tokens(username) if t["uuid"] == uuid]
    return bool(token["is_active"])


def records(stdout: str) -> dict[str, list[dict[str, Any]]]:
    """The --json findings, by path's file name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for record in json.loads(stdout):
        found.setdefault(Path(record["path"]).name, []).append(record)
    return found


def docker_config(folder: Path, user: str, secret: str) -> None:
    auth = base64.b64encode(f"{user}:{secret}".encode()).decode()
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}})
    )


def assert_no_secret_shown(cli: Cli, *secret_values: str) -> None:
    for value in secret_values:
        assert all(value not in text for text in cli.transcript)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def ci_token(local_hub: LocalHub, tree: Path) -> tuple[str, str]:
    """(uuid, secret) of alice's token "CI read", left in the tree's .env."""
    uuid, secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    (tree / ".env").write_text(f"TOKEN={secret}\n")
    return uuid, secret


def test_identify_tells_which_token_each_secret_is_asking_once_per_secret(
    signed_in_cli: Cli, local_hub: LocalHub, tree: Path, alice_password: str
) -> None:
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    gone, gone_secret = local_hub.create_token("alice", "old", ["repo:read"])
    local_hub.delete_token(gone)
    local_hub.add_user("bob", secrets.token_urlsafe(16))
    theirs, their_secret = local_hub.create_token("bob", "bob's CI", ["repo:write"])
    (tree / ".env").write_text(f"TOKEN={my_secret}\nOLD={gone_secret}\n")
    (tree / "ci.yml").write_text(f"password: {my_secret}\n")  # the same secret again
    docker_config(tree / "docker", "bob", their_secret)
    before = len(auth_statuses(local_hub))

    result = signed_in_cli("scan", str(tree), "--identify", "--json")

    assert result.returncode == 1, result.stderr
    found = records(result.stdout)
    env, ci, config = found[".env"], found["ci.yml"], found["config.json"]
    assert env[0]["live"] is True and env[0]["uuid"] == mine
    assert env[0]["description"] == "CI read"
    assert env[0]["identity"].startswith("your token 'CI read' (Read-only, active, ")
    assert ci[0]["uuid"] == mine
    assert env[1]["live"] is False and env[1]["uuid"] is None
    assert env[1]["identity"].startswith("not valid")
    assert config[0]["live"] is True and config[0]["uuid"] == theirs
    assert config[0]["account"] == "bob"
    assert config[0]["identity"] == "live, not yours: a token of bob"
    assert config[0]["description"] is None
    # three distinct secrets, each exchanged once although one was found twice
    assert auth_statuses(local_hub)[before:] == [200, 401, 200]
    assert "counts as a use of it on the hub" in result.stderr
    assert_no_secret_shown(signed_in_cli, my_secret, gone_secret, their_secret, alice_password)


def test_identify_adds_a_column_to_the_table(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:
    _, secret = ci_token

    result = signed_in_cli("scan", str(tree), "--identify")

    assert result.returncode == 1, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[-2:] == ["WHICH", "TOKEN"]
    assert "your token 'CI read' (Read-only, active, never used before)" in row
    assert_no_secret_shown(signed_in_cli, secret)


def test_a_passwords_in_dockers_config_is_not_sent(
    signed_in_cli: Cli, local_hub: LocalHub, tree: Path, alice_password: str
) -> None:
    docker_config(tree / "docker", "alice", alice_password)
    before = len(local_hub.request_log)

    result = signed_in_cli("scan", str(tree), "--identify", "--json")

    assert result.returncode == 1, result.stderr
    (record,) = records(result.stdout)["config.json"]
    assert record["kind"] == "docker-config-password"
    assert record["identity"] == "a password, not identified"
    assert record["live"] is None
    assert local_hub.request_log[before:] == []
    assert "counts as a use" not in result.stderr  # no note about what was not done
    assert_no_secret_shown(signed_in_cli, alice_password)


def test_identify_waits_out_a_short_retry_after(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:
    mine, _ = ci_token
    local_hub.set_faults(Fault("rate_limit", count=1, path=AUTH_PATH, value=1))
    before = len(auth_statuses(local_hub))

    result = signed_in_cli("scan", str(tree), "--identify", "--json")

    assert result.returncode == 1, result.stderr
    (record,) = records(result.stdout)[".env"]
    assert record["uuid"] == mine
    assert auth_statuses(local_hub)[before:] == [429, 200]


def test_identify_stops_at_a_long_retry_after_and_says_so(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:
    local_hub.set_faults(Fault("rate_limit", path=AUTH_PATH, value=3600))

    result = signed_in_cli("scan", str(tree), "--identify", "--json")

    assert result.returncode == 1, result.stderr
    (record,) = records(result.stdout)[".env"]
    assert record["live"] is None
    assert record["identity"].startswith("not checked: ")
    assert "identification stopped:" in result.stderr
    assert "is rate limiting this check until" in result.stderr


@pytest.mark.parametrize("output", ["--json", "table"])
def test_an_unreachable_hub_still_shows_every_finding_as_not_checked(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path, output: str
) -> None:
    local_hub.stop()  # signed in, then the hub goes away

    result = signed_in_cli(
        "scan", str(tree), "--identify", *([output] if output != "table" else [])
    )

    assert result.returncode == 1, result.stderr  # found, as without --identify
    assert "identification stopped:" in result.stderr and "reach" in result.stderr
    assert "counts as a use" not in result.stderr  # nothing was sent
    if output == "--json":
        (record,) = records(result.stdout)[".env"]
        assert record["live"] is None and record["identity"].startswith("not checked: ")
    else:
        assert ".env:1" in result.stdout and "not checked: " in result.stdout


def test_deactivate_with_an_unreachable_hub_says_why_nothing_was_deactivated(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:
    local_hub.stop()

    result = signed_in_cli("scan", str(tree), "--deactivate", "--yes")

    assert result.returncode == 1, result.stderr
    assert ".env:1" in result.stdout
    assert "no live token of your account was found among the secrets checked" in result.stderr


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_hub_over_plain_http_elsewhere_gets_no_secret(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path, how: str
) -> None:
    elsewhere = "http://hub.example.test"
    before = len(local_hub.request_log)

    if how == "option":
        result = signed_in_cli("scan", str(tree), "--identify", "--hub", elsewhere)
    else:
        result = signed_in_cli(
            "scan", str(tree), "--identify", env={"HUBTOKENS_HUB_URL": elsewhere}
        )

    assert result.returncode == 2
    assert "tokens travel only over TLS" in result.stderr
    assert result.stdout == ""
    assert local_hub.request_log[before:] == []


def test_identify_needs_a_sign_in(
    cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:

    result = cli("scan", str(tree), "--identify")

    assert result.returncode == 3
    assert "not signed in" in result.stderr
    assert "hubtokens signin" in result.stderr
    assert auth_statuses(local_hub) == []


def test_deactivate_with_yes_switches_off_this_accounts_token_and_says_how_to_replace_it(
    signed_in_cli: Cli, local_hub: LocalHub, tree: Path
) -> None:
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    local_hub.add_user("bob", secrets.token_urlsafe(16))
    theirs, their_secret = local_hub.create_token("bob", "bob's CI", ["repo:write"])
    (tree / ".env").write_text(f"TOKEN={my_secret}\n")
    docker_config(tree / "docker", "bob", their_secret)

    result = signed_in_cli("scan", str(tree), "--deactivate", "--yes")

    assert result.returncode == 1, result.stderr
    assert not is_active(local_hub, "alice", mine)
    assert is_active(local_hub, "bob", theirs)  # not ours to switch off
    assert f"Deactivated 'CI read' ({mine})" in result.stderr
    assert "Replace…" in result.stderr
    assert "hubtokens token create --description 'CI read' --access read" in result.stderr
    assert f"hubtokens token rm {mine}" in result.stderr
    assert_no_secret_shown(signed_in_cli, my_secret, their_secret)


def test_deactivate_without_a_terminal_or_yes_is_refused_and_sends_nothing(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path
) -> None:
    mine, _ = ci_token

    result = signed_in_cli("scan", str(tree), "--deactivate")  # stdin is a pipe

    assert result.returncode == 2
    assert "--deactivate asks for confirmation on a terminal" in result.stderr
    assert "--yes" in result.stderr
    assert is_active(local_hub, "alice", mine)
    assert auth_statuses(local_hub) == []  # not even identified: "last used" is untouched


def test_deactivating_this_devices_auto_token_says_what_that_means(
    signed_in_cli: Cli, local_hub: LocalHub, tree: Path
) -> None:
    printed = signed_in_cli("token", "print")
    assert printed.returncode == 0, printed.stderr
    auto_secret = printed.stdout.strip()
    (tree / ".env").write_text(f"TOKEN={auto_secret}\n")
    listed = signed_in_cli("token", "ls", "--source", "auto", "--json")
    (auto,) = [t for t in json.loads(listed.stdout) if t["this_device"]]

    result = signed_in_cli("scan", str(tree), "--deactivate", "--yes")

    assert result.returncode == 1, result.stderr
    assert not is_active(local_hub, "alice", auto["uuid"])
    assert f"'{auto['description']}' is this device's auto token" in result.stderr
    assert "docker on this device has no working credential" in result.stderr
    assert "does not replace it" in result.stderr
    assert f"hubtokens token rm {auto['uuid']}" in result.stderr
    assert "this device's auto token" in result.stdout  # the table's words
    # what the warning says: the hub refuses it, and the keeper reports it without replacing it
    with pytest.raises(AuthenticationFailed):
        HubClient(local_hub.url).auth_token("alice", Secret(auto_secret))
    synced = signed_in_cli("sync")
    assert "deactivated on the hub" in synced.stdout + synced.stderr
    assert [t["uuid"] for t in local_hub.tokens("alice") if t["is_active"]] == []
    # ... and deleting it, then syncing, brings a new one
    assert signed_in_cli("token", "rm", auto["uuid"], "--yes").returncode == 0
    assert signed_in_cli("sync", "--now").returncode == 0
    (renewed,) = [t for t in local_hub.tokens("alice") if t["is_active"]]
    assert renewed["uuid"] != auto["uuid"]
    assert auto_secret not in result.stdout + result.stderr  # `token print` showed it, not scan


def test_yes_without_deactivate_is_bad_input(signed_in_cli: Cli, tree: Path) -> None:
    result = signed_in_cli("scan", str(tree), "--yes")

    assert result.returncode == 2
    assert "--yes only confirms --deactivate" in result.stderr


def test_help_says_identifying_is_a_use_of_the_token(cli: Cli) -> None:
    result = cli("scan", "--help")

    assert result.returncode == 0
    assert "counts as a use of it on the hub" in " ".join(result.stdout.split())


def on_a_terminal(cli: Cli, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the program with a pseudo-terminal for stdin, typing ``answer`` to its question."""
    controller, terminal = os.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "hubtokens", *args],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli.env,
            text=True,
        ) as process:
            os.write(controller, answer.encode() + b"\n")  # the line waits in the terminal
            stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    cli.transcript += [stdout, stderr]
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("answer", ["y", "n"])
def test_deactivate_asks_on_a_terminal_naming_the_tokens(
    signed_in_cli: Cli, local_hub: LocalHub, ci_token: tuple[str, str], tree: Path, answer: str
) -> None:
    mine, secret = ci_token

    result = on_a_terminal(signed_in_cli, answer, "scan", str(tree), "--deactivate")

    assert result.returncode == 1, result.stderr
    host = local_hub.url.removeprefix("http://")
    assert f"Deactivate 1 token of alice on {host} ('CI read')? [y/N]" in result.stderr
    assert is_active(local_hub, "alice", mine) is (answer == "n")
    assert ("Nothing deactivated." in result.stderr) is (answer == "n")
    assert_no_secret_shown(signed_in_cli, secret)
