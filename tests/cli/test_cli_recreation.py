"""A person's own request and the truth after a deletion, as a person meets them (issue 10):
``token rm`` of this device's auto token, then ``status``, ``sync`` and ``sync --now``, each the
real ``hubtokens`` process against the local Hub and gnome-keyring. What each one says will
happen is checked against what the next one does."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

from hubtokens.core.hub.models import parse_time
from hubtokens.core.timefmt import exact
from hubtokens.localhub import Fault, LocalHub
from tests.cli.conftest import Cli
from tests.cli.test_cli_account import our_tokens
from tests.support.settings_file import age_creation_attempts

TOKENS = "/v2/access-tokens"
BUDGET_SPACING = timedelta(minutes=10)


def _status(cli: Cli) -> dict[str, Any]:
    result = cli("status", "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _attempts(cli: Cli) -> list[datetime]:
    data = json.loads((cli.home / "config" / "settings.json").read_text())
    (account,) = data["accounts"].values()
    return [parse_time(t, "attempt") for t in account["creation_attempts"]]


def _creates(hub: LocalHub) -> int:
    return sum(1 for method, path, _ in hub.request_log if method == "POST" and path == TOKENS)


def _remove_ours(cli: Cli, hub: LocalHub) -> tuple[str, subprocess.CompletedProcess[str]]:
    (token,) = our_tokens(hub)
    result = cli("token", "rm", token["uuid"], "--yes")
    assert result.returncode == 0, result.stderr
    return token["uuid"], result


def test_rm_status_sync_and_sync_now_tell_one_story(
    signed_in_cli: Cli, local_hub: LocalHub
) -> None:
    cli = signed_in_cli
    deleted, rm = _remove_ours(cli, local_hub)
    # The sign-in spent a creation attempt just now: automatic recreation waits 10 minutes.
    allowed = _attempts(cli)[-1] + BUDGET_SPACING

    assert "That was this device's auto token" in rm.stderr
    assert f"creates a new one from {exact(allowed)}" in rm.stderr
    assert "To create it now: hubtokens sync --now" in rm.stderr
    assert "the next sync creates" not in rm.stderr  # the old promise the budget refused

    # status no longer presents the deleted token as the current one.
    text = cli("status").stdout
    assert "Auto token: deleted on the hub" in text
    assert f"Recreation: from {exact(allowed)}" in text and "hubtokens sync --now" in text
    status = _status(cli)
    assert status["auto_token"] is None
    assert status["auto_token_deleted"]["uuid"] == deleted
    assert status["recreation"]["reason"] == "deleted-on-hub"
    assert parse_time(status["recreation"]["automatic_at"], "t") == allowed
    assert status["recreation"]["now_command"] == "hubtokens sync --now"

    # Plain sync keeps the budget, says until when, and names the way out.
    waited = cli("sync")
    assert waited.returncode == 6
    assert f"created automatically from {exact(allowed)}" in waited.stdout
    assert "To create it now: hubtokens sync --now" in waited.stderr
    assert our_tokens(local_hub) == []
    status = _status(cli)
    assert status["auto_token"] is None
    # The next check is when the keeper will act: the moment the budget allows.
    assert parse_time(status["next_check"], "t") == allowed

    # The person's own request is exempt from the budget, and counted.
    now = cli("sync", "--now")
    assert now.returncode == 0, now.stderr
    assert "Recreated the auto token: it was deleted on the hub." in now.stdout
    (token,) = our_tokens(local_hub)
    assert token["uuid"] != deleted
    status = _status(cli)
    assert status["auto_token"]["uuid"] == token["uuid"]
    assert status["auto_token"]["active"] is True
    assert status["auto_token_deleted"] is None and status["recreation"] is None
    assert len(_attempts(cli)) == 2
    assert "Recreation:" not in cli("status").stdout


def test_rm_when_the_budget_allows_promises_the_next_check_and_sync_keeps_it(
    signed_in_cli: Cli, local_hub: LocalHub
) -> None:
    age_creation_attempts(signed_in_cli.home, 11)
    _, rm = _remove_ours(signed_in_cli, local_hub)
    assert "Hub Tokens creates a new one at the next check" in rm.stderr
    assert "Recreation: at the next check" in signed_in_cli("status").stdout
    assert _status(signed_in_cli)["recreation"]["automatic_at"] is None  # no wait: next check

    result = signed_in_cli("sync")

    assert result.returncode == 0, result.stderr
    assert "Recreated the auto token: it was deleted on the hub." in result.stdout
    assert len(our_tokens(local_hub)) == 1


def test_six_sync_now_at_once_make_one_token(signed_in_cli: Cli, local_hub: LocalHub) -> None:
    _remove_ours(signed_in_cli, local_hub)
    creates_before = _creates(local_hub)
    command = [sys.executable, "-m", "hubtokens", "sync", "--now"]
    runs = [
        subprocess.Popen(command, env=signed_in_cli.env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]

    assert [run.returncode for run in runs] == [0] * 6, outputs
    assert sum("Recreated the auto token" in out for out in outputs) == 1, outputs
    assert sum("The auto token is healthy." in out for out in outputs) == 5, outputs
    assert _creates(local_hub) == creates_before + 1
    assert len(our_tokens(local_hub)) == 1


def test_sync_now_still_obeys_the_hubs_retry_after(signed_in_cli: Cli, local_hub: LocalHub) -> None:
    _remove_ours(signed_in_cli, local_hub)
    local_hub.set_faults(Fault("rate_limit", value=900, path=TOKENS, count=1))

    limited = signed_in_cli("sync", "--now")

    assert limited.returncode == 6
    assert "rate limiting this account until" in limited.stdout
    assert "--now" not in limited.stderr  # no way out to offer: the person waits too
    assert our_tokens(local_hub) == []
    recreation = _status(signed_in_cli)["recreation"]
    assert recreation["rate_limited_until"] is not None and recreation["now_command"] is None
    log_size = len(local_hub.request_log)
    assert signed_in_cli("sync", "--now").returncode == 6
    assert len(local_hub.request_log) == log_size  # asking now would only earn another 429


def test_rm_of_another_token_says_nothing_about_the_auto_token(
    signed_in_cli: Cli, local_hub: LocalHub
) -> None:
    created = json.loads(signed_in_cli("token", "create", "--description", "CI", "--json").stdout)

    result = signed_in_cli("token", "rm", created["uuid"], "--yes")

    assert result.returncode == 0, result.stderr
    assert "auto token" not in result.stderr
    assert _status(signed_in_cli)["auto_token"] is not None
