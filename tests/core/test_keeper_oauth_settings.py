"""Which sign-in service and client ID the keeper's web sign-in uses: the settings file's
``oauth_tenant`` / ``oauth_client_id``, and the environment over them (README: "the environment
wins"), seen from the local hubs' side over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubtokens.core.hub.oauth import CLIENT_ID_ENV, DOCKER_CLIENT_ID, TENANT_ENV
from hubtokens.core.keeper import Keeper
from hubtokens.core.vault import Vault
from hubtokens.localhub import HubConfig, LocalHub
from tests.core.keeper_support import USER, SwitchableKeyring, make_keeper
from tests.fixtures import signin
from tests.fixtures.localhub import HubClock

SETTINGS_CLIENT = "client-from-settings"
ENV_CLIENT = "client-from-environment"


@pytest.fixture
def hubs(hub_clock: HubClock, alice_password: str) -> Iterator[tuple[LocalHub, LocalHub]]:
    """(the hub to sign in to, another hub that serves only as a sign-in service)."""
    with (
        LocalHub(HubConfig(clock=hub_clock.now, seed=0)) as hub,
        LocalHub(HubConfig(clock=hub_clock.now, seed=1)) as tenant,
    ):
        hub.add_user(USER, alice_password)
        tenant.add_user(USER, alice_password)
        yield hub, tenant


@pytest.fixture(autouse=True)
def no_oauth_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TENANT_ENV, raising=False)
    monkeypatch.delenv(CLIENT_ID_ENV, raising=False)


def _keeper_with_settings(
    tmp_path: Path, keyring: SwitchableKeyring, hub_clock: HubClock, tenant: LocalHub
) -> Keeper:
    settings = {
        "schema_version": 1,
        "accounts": {},
        "oauth_tenant": tenant.url,
        "oauth_client_id": SETTINGS_CLIENT,
    }
    (tmp_path / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    return make_keeper(tmp_path, Vault(keyring, deadline=0.5), hub_clock.now)


def _device_code_requests(hub: LocalHub) -> int:
    return sum(
        1 for method, path, _ in hub.request_log if (method, path) == ("POST", "/oauth/device/code")
    )


@pytest.mark.parametrize("environment_set", [False, True], ids=["settings", "environment-wins"])
def test_the_sign_in_service_and_client_id_come_from_the_settings_unless_the_environment_says(
    tmp_path: Path,
    hubs: tuple[LocalHub, LocalHub],
    keyring: SwitchableKeyring,
    hub_clock: HubClock,
    monkeypatch: pytest.MonkeyPatch,
    environment_set: bool,
) -> None:
    hub, tenant = hubs
    keeper = _keeper_with_settings(tmp_path, keyring, hub_clock, tenant)
    service, bypassed, client, other_client = tenant, hub, SETTINGS_CLIENT, DOCKER_CLIENT_ID
    if environment_set:
        monkeypatch.setenv(TENANT_ENV, hub.url)
        monkeypatch.setenv(CLIENT_ID_ENV, ENV_CLIENT)
        service, bypassed, client, other_client = hub, tenant, ENV_CLIENT, SETTINGS_CLIENT

    authorization = keeper.start_web_sign_in(hub.url)

    assert (_device_code_requests(service), _device_code_requests(bypassed)) == (1, 0)
    assert authorization.verification_uri == f"{service.url}/activate"
    service.decide_device(authorization.user_code, USER)
    device_code = authorization.device_code.reveal()
    # a grant answers only the client ID that started it
    assert signin.poll(service.url, device_code, other_client).json()["error"] == "invalid_grant"
    assert signin.poll(service.url, device_code, client).status_code == 200


def test_a_web_sign_in_completes_with_the_settings_client_id(
    tmp_path: Path,
    hubs: tuple[LocalHub, LocalHub],
    keyring: SwitchableKeyring,
    hub_clock: HubClock,
) -> None:
    hub, _ = hubs
    keeper = _keeper_with_settings(tmp_path, keyring, hub_clock, hub)

    authorization = keeper.start_web_sign_in(hub.url)
    hub.decide_device(authorization.user_code, USER)
    result = keeper.complete_web_sign_in(hub.url, authorization, threading.Event())

    assert result.report is not None and result.report.created is not None
    record = keeper.account(hub.url)
    assert record is not None and record.sign_in == "web"
