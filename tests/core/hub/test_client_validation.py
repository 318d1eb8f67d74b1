"""Bad input is refused before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from hubtokens.core.errors import UsageError
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import Scope, SessionToken, TwoFactorChallenge
from hubtokens.core.secret import Secret
from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock

GOOD_UUID = "b30bbf97-506c-4ecd-aabc-842f3cb484fb"
Call = Callable[[HubClient, SessionToken, datetime], object]


def _create(
    label: str = "ok", scopes: object = (Scope.READ,), expires: timedelta | None = None
) -> Call:
    def call(client: HubClient, session: SessionToken, now: datetime) -> object:
        expires_at = None if expires is None else now + expires
        return client.create_token(session, label, scopes, expires_at)  # type: ignore[arg-type]

    return call


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (_create(label=""), "cannot be empty"),
        (_create(label="   "), "cannot be empty"),
        (_create(label="x" * 101), "longer than 100"),
        (_create(label="two\nlines"), "control characters"),
        (_create(scopes=[]), "access level"),
        (_create(scopes="repo:read"), "access level"),
        (_create(scopes=["repo:everything"]), "unknown scope"),
        (_create(expires=timedelta(0)), "in the future"),
        (_create(expires=-timedelta(days=1)), "in the future"),
        (
            lambda c, s, now: c.create_token(
                s, "ok", [Scope.READ], now.replace(tzinfo=None) + timedelta(days=1)
            ),
            "time zone",
        ),
        (lambda c, s, now: c.get_token(s, "not-a-uuid"), "8-4-4-4-12"),
        (lambda c, s, now: c.get_token(s, "../../v2/users/login"), "8-4-4-4-12"),
        (lambda c, s, now: c.delete_token(s, "{" + GOOD_UUID + "}"), "8-4-4-4-12"),
        (lambda c, s, now: c.delete_token(s, GOOD_UUID.replace("-", "")), "8-4-4-4-12"),
        (lambda c, s, now: c.update_token(s, "", label="x"), "8-4-4-4-12"),
        (lambda c, s, now: c.update_token(s, GOOD_UUID), "nothing to change"),
        (lambda c, s, now: c.update_token(s, GOOD_UUID, label=""), "cannot be empty"),
        (lambda c, s, now: c.login(" ", Secret("pw")), "username cannot be empty"),
        (lambda c, s, now: c.login("alice", Secret("")), "password cannot be empty"),
        (lambda c, s, now: c.auth_token("alice", Secret("")), "cannot be empty"),
        (
            lambda c, s, now: c.login_2fa(TwoFactorChallenge("alice", Secret("t")), " "),
            "two-factor code cannot be empty",
        ),
    ],
)
def test_refused_before_sending(
    client: HubClient,
    session: SessionToken,
    local_hub: LocalHub,
    hub_clock: HubClock,
    call: Call,
    message: str,
) -> None:
    mark = len(local_hub.request_log)

    with pytest.raises(UsageError, match=message):
        call(client, session, hub_clock.now())
    assert local_hub.request_log[mark:] == []


def test_longest_label_and_string_scopes_are_accepted(
    client: HubClient, session: SessionToken
) -> None:
    created = client.create_token(session, "x" * 100, ["repo:public_read"])  # type: ignore[list-item]

    assert created.token.label == "x" * 100
    assert created.token.scope is Scope.PUBLIC_READ


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="page_concurrency"):
        HubClient("http://127.0.0.1:1", page_concurrency=0)
    with pytest.raises(UsageError, match="TLS"):
        HubClient("http://hub.docker.com")
