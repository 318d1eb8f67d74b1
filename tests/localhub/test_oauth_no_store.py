"""Every hub reply that carries a secret (device code, access, ID and refresh tokens, the
auto-generated PAT, a created PAT) tells caches and proxies not to keep it (RFC 6749 §5.1)."""

from __future__ import annotations

import requests

from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock
from tests.fixtures.signin import desktop_generate, poll, refresh, start_device_sign_in


def _not_stored(reply: requests.Response) -> bool:
    return (
        reply.headers.get("Cache-Control") == "no-store"
        and reply.headers.get("Pragma") == "no-cache"
    )


def test_replies_with_secrets_are_not_cached(local_hub: LocalHub, hub_clock: HubClock) -> None:
    started = requests.post(
        local_hub.url + "/oauth/device/code",
        data={"client_id": "no-store-test", "scope": "openid offline_access"},
        timeout=10,
    )
    assert started.status_code == 200 and "device_code" in started.json()
    assert _not_stored(started)

    signin = start_device_sign_in(local_hub.url)
    local_hub.decide_device(signin["user_code"], "alice")
    hub_clock.advance(5)
    tokens = poll(local_hub.url, signin["device_code"])
    assert tokens.status_code == 200 and "access_token" in tokens.json()
    assert _not_stored(tokens)

    refreshed = refresh(local_hub.url, tokens.json()["refresh_token"])
    assert refreshed.status_code == 200 and "refresh_token" in refreshed.json()
    assert _not_stored(refreshed)

    generated = desktop_generate(local_hub.url, refreshed.json()["access_token"])
    assert generated.status_code == 201 and "token" in generated.json()["data"]
    assert _not_stored(generated)

    created = requests.post(
        local_hub.url + "/v2/access-tokens",
        json={"token_label": "no-store test", "scopes": ["repo:read"]},
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
        timeout=10,
    )
    assert created.status_code == 201 and created.json()["token"].startswith("dckr_pat_")
    assert _not_stored(created)
