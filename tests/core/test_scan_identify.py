"""Which token is it: each distinct secret asked about once, at a real localhub over HTTP."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from hubtokens.core.errors import UsageError
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN,
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    KIND_OAT,
    KIND_PAT,
    Finding,
)
from hubtokens.core.scan.identify import (
    IDENTITY_TOKEN_WORDS,
    NOT_VALID_WORDS,
    ORGANIZATION_WORDS,
    PASSWORD_WORDS,
    Identifier,
)
from hubtokens.core.secret import Secret
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock

AUTH_PATH = "/v2/auth/token"


def found(secret: str, kind: str = KIND_PAT, account: str | None = None, line: int = 1) -> Finding:
    return Finding(".env", line, None, kind, Secret(secret), account)


def auth_requests(hub: LocalHub) -> list[int]:
    return [status for _method, path, status in hub.request_log if path == AUTH_PATH]


class Sleeps:
    """Really sleeps, and remembers for how long it was asked to."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(local_hub: LocalHub, hub_clock: HubClock) -> HubClient:
    return HubClient(local_hub.url, clock=hub_clock.now)


@pytest.fixture
def make_identifier(
    client: HubClient, local_hub: LocalHub, hub_clock: HubClock, alice_password: str, sleeps: Sleeps
) -> Callable[..., Identifier]:
    """Identifiers signed in as alice; the management session is made only when asked for."""

    def management_session() -> SessionToken:
        signed_in = client.login("alice", Secret(alice_password))
        assert isinstance(signed_in, SessionToken)
        return signed_in

    def make(hub_url: str | None = None, device_token: str | None = None) -> Identifier:
        return Identifier(
            client,
            hub_url=hub_url or local_hub.url,
            account="alice",
            management_session=management_session,
            clock=hub_clock.now,
            device_token=device_token,
            sleep=sleeps,
        )

    return make


@pytest.fixture
def identifier(make_identifier: Callable[..., Identifier]) -> Identifier:
    return make_identifier()


def test_a_token_of_this_account_is_named_with_what_it_was_before_the_check(
    identifier: Identifier, client: HubClient, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    uuid, secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    assert isinstance(client.auth_token("alice", Secret(secret)), SessionToken)  # used once
    hub_clock.advance(2 * 3600)

    identity = identifier.identify([found(secret)]).identities[found(secret).fingerprint]

    assert identity.live is True
    assert identity.uuid == uuid
    assert identity.description == "CI read"
    assert identity.account == "alice"
    assert identity.yours
    assert identity.words == "your token 'CI read' (Read-only, active, last used 2 h ago)"
    # the check itself was a use of the token
    (listed,) = [t for t in local_hub.tokens("alice") if t["uuid"] == uuid]
    assert listed["last_used"] is not None
    assert listed["last_used"].startswith(hub_clock.now().strftime("%Y-%m-%dT%H:%M"))


def test_this_devices_auto_token_is_called_so(
    make_identifier: Callable[..., Identifier], local_hub: LocalHub
) -> None:
    uuid, secret = local_hub.create_token("alice", "auto", ["repo:admin"], generated_by="auto")
    identifier = make_identifier(device_token=uuid)

    identity = identifier.identify([found(secret)]).identities[found(secret).fingerprint]

    assert identity.words == (
        "your token 'auto' (this device's auto token, Read, Write, Delete, active, "
        "never used before)"
    )


def test_a_deleted_token_is_not_valid(identifier: Identifier, local_hub: LocalHub) -> None:
    uuid, secret = local_hub.create_token("alice", "gone", ["repo:read"])
    local_hub.delete_token(uuid)
    in_file, in_config = found(secret), found(secret, KIND_DOCKER_CONFIG_PAT, "alice")

    bare = identifier.identify([in_file]).identities[in_file.fingerprint]
    named = identifier.identify([in_config]).identities[in_config.fingerprint]

    assert bare.live is False
    assert bare.words == ("not valid for alice (deleted, expired, inactive, or another account's)")
    assert named.live is False
    assert named.words == NOT_VALID_WORDS
    assert not bare.yours and bare.uuid is None


def test_another_accounts_live_token_names_its_owner(
    identifier: Identifier, local_hub: LocalHub, alice_password: str
) -> None:
    local_hub.add_user("bob", alice_password)
    uuid, secret = local_hub.create_token("bob", "bob's CI", ["repo:write"])
    bare, finding = found(secret), found(secret, KIND_DOCKER_CONFIG_PAT, "bob")

    result = identifier.identify([bare, finding])  # the config's user name serves both
    identity = result.identities[finding.fingerprint]

    assert identity.live is True
    assert identity.account == "bob"
    assert identity.uuid == uuid
    assert identity.description is None  # not ours to list
    assert not identity.yours
    assert identity.words == "live, not yours: a token of bob"
    assert auth_requests(local_hub) == [200]


def test_a_secret_found_twice_is_asked_about_once(
    identifier: Identifier, local_hub: LocalHub
) -> None:
    _, secret = local_hub.create_token("alice", "twice", ["repo:read"])
    findings = [found(secret, line=1), found(secret, line=9)]

    result = identifier.identify(findings)

    assert list(result.identities) == [findings[0].fingerprint]
    assert auth_requests(local_hub) == [200]


def test_passwords_registry_identity_tokens_and_unknown_orgs_tokens_are_not_sent(
    identifier: Identifier, local_hub: LocalHub, alice_password: str
) -> None:
    password = found(alice_password, KIND_DOCKER_CONFIG_PASSWORD, "alice")
    organization = found("dckr_" + "oat_" + "x" * 30, KIND_OAT)
    # another registry's refresh token: sending it to the Hub would hand it to a third party
    identity_token = found(secrets.token_urlsafe(40), KIND_DOCKER_CONFIG_IDENTITY_TOKEN, "alice")

    result = identifier.identify([password, organization, identity_token])

    assert result.identities[password.fingerprint].words == PASSWORD_WORDS
    assert result.identities[organization.fingerprint].words == ORGANIZATION_WORDS
    assert result.identities[identity_token.fingerprint].words == IDENTITY_TOKEN_WORDS
    assert result.identities[password.fingerprint].live is None
    assert local_hub.request_log == []  # nothing to ask: not even a sign-in


def test_a_short_retry_after_is_waited_out(
    identifier: Identifier, local_hub: LocalHub, sleeps: Sleeps
) -> None:
    _, secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    local_hub.set_faults(Fault("rate_limit", count=1, path=AUTH_PATH, value=1))

    identity = identifier.identify([found(secret)]).identities[found(secret).fingerprint]

    assert identity.live is True
    assert auth_requests(local_hub) == [429, 200]
    assert len(sleeps.asked) == 1
    assert 0 < sleeps.asked[0] <= 1


def test_a_long_retry_after_stops_the_run_and_says_until_when(
    identifier: Identifier, local_hub: LocalHub, sleeps: Sleeps
) -> None:
    _, first = local_hub.create_token("alice", "one", ["repo:read"])
    _, second = local_hub.create_token("alice", "two", ["repo:read"])
    local_hub.set_faults(Fault("rate_limit", path=AUTH_PATH, value=3600))

    result = identifier.identify([found(first), found(second)])

    assert result.stopped is not None
    assert "is rate limiting this check until" in result.stopped
    assert "(in 59 min)" in result.stopped or "(in 1 h)" in result.stopped
    assert all(i.live is None for i in result.identities.values())
    assert all(i.words == f"not checked: {result.stopped}" for i in result.identities.values())
    assert auth_requests(local_hub) == [429]  # the second secret was not sent
    assert sleeps.asked == []


def test_a_hub_over_plain_http_elsewhere_is_refused(
    make_identifier: Callable[..., Identifier],
) -> None:
    with pytest.raises(UsageError, match="only over TLS"):
        make_identifier(hub_url="http://hub.example.test")


def test_deactivate_switches_off_only_this_accounts_live_tokens(
    identifier: Identifier, local_hub: LocalHub, alice_password: str
) -> None:
    local_hub.add_user("bob", alice_password)
    mine, my_secret = local_hub.create_token("alice", "CI read", ["repo:read"])
    theirs, their_secret = local_hub.create_token("bob", "bob's", ["repo:read"])
    findings = [found(my_secret), found(their_secret, KIND_DOCKER_CONFIG_PAT, "bob")]
    identities = identifier.identify(findings).identities.values()

    done = list(identifier.deactivate(identities))

    assert [t.uuid for t in done] == [mine]
    assert [t["is_active"] for t in local_hub.tokens("alice") if t["uuid"] == mine] == [False]
    assert [t["is_active"] for t in local_hub.tokens("bob") if t["uuid"] == theirs] == [True]
