"""Which sign-in service and client ID are used, and what the Hub's session claims say."""

from __future__ import annotations

import time
import uuid

import pytest

from hubtokens.core.errors import UsageError
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.hub.oauth import (
    CLIENT_ID_ENV,
    DOCKER_CLIENT_ID,
    DOCKER_TENANT,
    TENANT_ENV,
    OAuthConfig,
    oauth_config_for,
)
from tests.core.hub.jwts import unsigned_jwt


def test_docker_hub_signs_in_at_docker_with_the_cli_client() -> None:
    config = oauth_config_for("https://hub.docker.com/", environ={})

    assert config == OAuthConfig(tenant=DOCKER_TENANT, client_id=DOCKER_CLIENT_ID)
    assert config.audience == "https://hub.docker.com"
    assert config.scopes == ("openid", "offline_access")


def test_any_other_hub_is_its_own_sign_in_service() -> None:
    config = oauth_config_for("http://127.0.0.1:5123", environ={})

    assert config.tenant == "http://127.0.0.1:5123"
    assert config.client_id == DOCKER_CLIENT_ID


def test_environment_wins_over_settings_which_win_over_defaults() -> None:
    settings = {"tenant": "https://login.example.org", "client_id": "from-settings"}
    environ = {TENANT_ENV: "https://sso.example.org/", CLIENT_ID_ENV: "from-env"}

    assert oauth_config_for("https://hub.docker.com", **settings, environ={}) == OAuthConfig(
        "https://login.example.org", "from-settings"
    )
    assert oauth_config_for("https://hub.docker.com", **settings, environ=environ) == (
        OAuthConfig("https://sso.example.org", "from-env")
    )
    # an empty variable is unset, as in a shell's VAR= prefix
    blank = {TENANT_ENV: "", CLIENT_ID_ENV: " "}
    assert oauth_config_for("https://hub.docker.com", **settings, environ=blank).client_id == (
        "from-settings"
    )


@pytest.mark.parametrize(
    ("environ", "message", "hint"),
    [
        ({TENANT_ENV: "http://login.example.org"}, TENANT_ENV, "only over TLS"),
        ({TENANT_ENV: "https://login.example.org/oauth"}, TENANT_ENV, "only scheme and host"),
        ({TENANT_ENV: "login.docker.com"}, TENANT_ENV, "must start with https://"),
        ({CLIENT_ID_ENV: "two words"}, CLIENT_ID_ENV, None),
        ({CLIENT_ID_ENV: "x" * 201}, CLIENT_ID_ENV, None),
    ],
)
def test_unusable_settings_are_refused(
    environ: dict[str, str], message: str, hint: str | None
) -> None:
    with pytest.raises(UsageError) as info:
        oauth_config_for("https://hub.docker.com", environ=environ)
    assert message in info.value.message
    if hint is not None:
        assert info.value.hint is not None
        assert hint in info.value.hint
        assert "hub URL" not in info.value.hint


def _access_token(source: str | None) -> SessionToken:
    hub: dict[str, object] = {"uuid": str(uuid.uuid4()), "username": "alice", "session_id": "s"}
    if source is not None:
        hub["source"] = source
    claims = {"sub": "auth0|x", "exp": int(time.time()) + 900, "https://hub.docker.com": hub}
    return SessionToken.from_jwt(unsigned_jwt(claims))


def test_a_sign_in_service_token_reads_as_a_web_session() -> None:
    session = _access_token(f"docker_oauth|{uuid.uuid4()}")

    assert session.username == "alice"  # from the Hub's claim, not the sign-in service's sub
    assert not session.from_pat
    assert session.pat_uuid is None
    assert session.expires_at is not None


def test_pat_uuid_is_read_from_the_source_claim() -> None:
    pat = uuid.uuid4()
    session = _access_token(f"docker_pat|{str(pat).upper()}")

    assert session.from_pat
    assert session.pat_uuid == str(pat)


@pytest.mark.parametrize(
    "source", [None, "docker_pat|", "docker_pat|not-a-uuid", "docker_oauth|" + "0" * 32, "pat"]
)
def test_no_pat_uuid_without_a_pat_source(source: str | None) -> None:
    assert _access_token(source).pat_uuid is None
