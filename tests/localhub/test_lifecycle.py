"""Starting, stopping, persistence, and the loopback-only rule."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from hubtokens.localhub import HubConfig, LocalHub, UserExistsError
from tests.localhub.client import HubClient


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "", "example.com", "::"])
def test_non_loopback_hosts_are_refused_unless_allowed(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        HubConfig(host=host)
    assert HubConfig(host=host, allow_remote=True).host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1"])
def test_loopback_hosts_are_fine(host: str) -> None:
    assert HubConfig(host=host).host == host


def test_ipv6_loopback_serves(alice_password: str) -> None:
    try:
        hub = LocalHub(HubConfig(host="::1")).start()
    except OSError:
        pytest.skip("no IPv6 on this machine")
    try:
        assert hub.url.startswith("http://[::1]:")
        hub.add_user("alice", alice_password)
        assert HubClient(hub.url).login("alice", alice_password)
    finally:
        hub.stop()


@pytest.mark.parametrize(
    "config",
    [
        {"retry_after_style": "minutes"},
        {"requests_per_minute": 0},
        {"creates_per_hour": 0},
    ],
)
def test_bad_config_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        HubConfig(**config)


def test_start_and_stop_are_fast_and_idempotent() -> None:
    started = time.perf_counter()
    hub = LocalHub().start()
    assert hub.start() is hub
    url = hub.url
    assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
    hub.stop()
    hub.stop()
    assert time.perf_counter() - started < 0.05
    with pytest.raises(RuntimeError):
        _ = hub.url
    with pytest.raises(RuntimeError):
        hub.start()


def test_stop_hangs_up_idle_keep_alive_connections(local_hub: LocalHub) -> None:
    conn = HubClient(local_hub.url).connection()
    try:
        conn.request("GET", "/v2/access-tokens")
        conn.getresponse().read()
        started = time.perf_counter()
        local_hub.stop()
        assert time.perf_counter() - started < 0.05
    finally:
        conn.close()


def test_data_persists_on_disk(tmp_path: Path, alice_password: str) -> None:
    with LocalHub(HubConfig(data_dir=tmp_path / "hub")) as hub:
        hub.add_user("alice", alice_password)
        client = HubClient(hub.url)
        session = client.login("alice", alice_password)
        _, secret = hub.create_token("alice", "kept")
    assert (tmp_path / "hub" / "localhub.sqlite3").exists()
    assert (tmp_path / "hub").stat().st_mode & 0o077 == 0
    with LocalHub(HubConfig(data_dir=tmp_path / "hub")) as hub:
        client = HubClient(hub.url)
        # Same signing key: the old session still works.
        assert client.call("GET", "/v2/access-tokens", token=session).json()["count"] == 1
        assert client.login("alice", secret)
        with pytest.raises(UserExistsError):
            hub.add_user("alice", secrets.token_urlsafe(8))


def test_helpers_refuse_unknown_users_and_tokens(local_hub: LocalHub) -> None:
    with pytest.raises(KeyError):
        local_hub.tokens("nobody")
    with pytest.raises(KeyError):
        local_hub.create_token("nobody", "x")
    with pytest.raises(KeyError):
        local_hub.set_token_active("missing", False)
    with pytest.raises(KeyError):
        local_hub.delete_token("missing")
    with pytest.raises(KeyError):
        local_hub.set_token_expiry("missing", None)
    with pytest.raises(ValueError, match="base32"):
        local_hub.add_user("dave", "pw", otp_secret="!!")
    with pytest.raises(ValueError):
        local_hub.add_user("", "pw")
