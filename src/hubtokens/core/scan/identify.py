"""Which token is it? Ask the signed-in Hub, and nothing else, about each distinct secret found.

A secret is exchanged at ``/v2/auth/token``: a live token's session names the token's uuid in
its ``source`` claim and its owner in ``username``, which the account's token list (fetched
before any exchange, so "last used" is as it was) turns into words. The Hub signs a token in
only under its owner's name, so the identifier is the docker config entry's user name when the
secret came from one, else the signed-in account's name. An exchange counts as a use of the
token on the Hub: its "last used" becomes now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    HubTokensError,
    NotFound,
    RateLimited,
)
from hubtokens.core.hub.models import AccessToken, SessionToken, TwoFactorChallenge
from hubtokens.core.hub.urls import host_of, normalize_hub_url
from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN,
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_OAT,
    Finding,
)
from hubtokens.core.secret import Secret
from hubtokens.core.timefmt import exact, relative

# A Retry-After up to this long is waited out; a longer one stops the run (and says until when).
MAX_WAIT = timedelta(seconds=30)
# Consecutive 429s for one secret before giving up, however short each Retry-After.
MAX_RETRIES = 3

PASSWORD_WORDS = "a password, not identified"
IDENTITY_TOKEN_WORDS = "a registry's identity token, not identified"
ORGANIZATION_WORDS = "an organization access token, not identified (its organization is unknown)"
NOT_VALID_WORDS = "not valid (deleted, expired or inactive)"


@dataclass(frozen=True, slots=True)
class Identity:
    """What the Hub says a secret is."""

    words: str
    live: bool | None = None  # None: not asked (a password, an unknown organization, ...)
    uuid: str | None = None  # the token's uuid, from the Hub's claim
    description: str | None = None  # its description, when it is one of the account's tokens
    account: str | None = None  # whose token it is, from the Hub's claim
    token: AccessToken | None = None  # the account's token, as listed before the check

    @property
    def yours(self) -> bool:
        """A live token of the signed-in account, which it can deactivate."""
        return bool(self.live) and self.token is not None


@dataclass(frozen=True, slots=True)
class Identification:
    """The identity of each distinct secret (by fingerprint), and why the run stopped early."""

    identities: dict[str, Identity] = field(default_factory=dict)
    stopped: str | None = None  # e.g. a long rate limit; the secrets after it are not checked
    sent: int = 0  # how many times a secret went to the Hub: each may count as a use


class TokenHub(Protocol):
    """The part of ``HubClient`` identification uses."""

    @property
    def base_url(self) -> str: ...
    def auth_token(self, identifier: str, secret: Secret) -> SessionToken | TwoFactorChallenge: ...
    def list_tokens(self, session: SessionToken) -> list[AccessToken]: ...
    def get_token(self, session: SessionToken, uuid: str) -> AccessToken: ...
    def update_token(
        self, session: SessionToken, uuid: str, *, is_active: bool | None = None
    ) -> AccessToken: ...


@dataclass(frozen=True, slots=True)
class _Secret:
    secret: Secret
    kind: str
    account: str | None  # the docker config entry's user name, when any finding had one


class _Stop(Exception):
    """The run cannot go on (a long rate limit, the Hub failing); the message says why."""


class Identifier:
    """Identifies the secrets of a scan against one hub, signed in as ``account``."""

    def __init__(
        self,
        hub: TokenHub,
        *,
        hub_url: str,
        account: str,
        management_session: Callable[[], SessionToken],
        clock: Callable[[], datetime],
        device_token: str | None = None,
        sleep: Callable[[float], object] = time.sleep,  # cancelled.wait: a wait ends on cancel
        max_wait: timedelta = MAX_WAIT,
        cancelled: threading.Event | None = None,  # once set, no further secret is sent
    ) -> None:
        # A secret goes only to the configured hub, and only over TLS or loopback:
        # normalize_hub_url refuses plain http to any other host.
        if hub.base_url != normalize_hub_url(hub_url):
            raise ValueError("the client is not for the configured hub")
        self._hub = hub
        self._account = account
        self._management_session = management_session
        self._clock = clock
        self._device_token = device_token
        self._sleep = sleep
        self._max_wait = max_wait
        self._cancelled = cancelled
        self._sent = 0  # secrets sent so far, for Identification.sent

    def identify(self, findings: Iterable[Finding]) -> Identification:
        """Each distinct secret asked about once; nothing is sent when none can be asked."""
        distinct = _distinct(findings)
        identities = {
            fp: identity
            for fp, found in distinct.items()
            if (identity := _not_asked(found)) is not None
        }
        ask = {fp: found for fp, found in distinct.items() if fp not in identities}
        if not ask:
            return Identification(identities)
        try:
            session, listed = self._signed_in()
        except _Stop as stop:  # the findings stand; none of them was checked
            unchecked = Identity(f"not checked: {stop}")
            return Identification({**identities, **dict.fromkeys(ask, unchecked)}, str(stop))
        stopped = None
        sent_before = self._sent
        for fp, found in ask.items():
            if stopped is None:
                try:
                    identities[fp] = self._identify_one(found, session, listed)
                    continue
                except _Stop as stop:
                    stopped = str(stop)
            identities[fp] = Identity(f"not checked: {stopped}")
        return Identification(identities, stopped, self._sent - sent_before)

    def _signed_in(self) -> tuple[SessionToken, dict[str, AccessToken]]:
        """The account's session and its tokens by uuid, listed before any exchange (which
        makes a token's "last used" now); an ended sign-in or an unreachable hub stops the run."""
        try:
            session = self._management_session()
            return session, {t.uuid.lower(): t for t in self._hub.list_tokens(session)}
        except HubTokensError as exc:
            raise _Stop(exc.message) from None

    def deactivate(self, identities: Iterable[Identity]) -> Iterator[AccessToken]:
        """Deactivate the account's live tokens among ``identities``, one by one."""
        session = self._management_session()
        for identity in identities:
            if identity.yours and identity.uuid is not None:
                yield self._hub.update_token(session, identity.uuid, is_active=False)

    def _identify_one(
        self, found: _Secret, session: SessionToken, listed: dict[str, AccessToken]
    ) -> Identity:
        identifier = found.account or self._account
        answer = self._exchange(identifier, found.secret)
        if answer is None:
            words = NOT_VALID_WORDS
            if found.account is None:
                # the Hub refuses another account's live token under our name just the same
                words = (
                    f"not valid for {identifier} (deleted, expired, inactive, or another account's)"
                )
            return Identity(words, live=False)
        if isinstance(answer, TwoFactorChallenge):  # a token never needs one; say what we saw
            return Identity("live, but not identified", live=True, account=identifier)
        owner = answer.username
        uuid = answer.pat_uuid
        if owner is None or owner.lower() != self._account.lower():
            whose = f"a token of {owner}" if owner else "whose, the hub does not say"
            return Identity(f"live, not yours: {whose}", live=True, uuid=uuid, account=owner)
        if uuid is None:
            return Identity("live, yours, not a personal access token", live=True, account=owner)
        token = listed.get(uuid) or self._fetch(session, uuid)
        if token is None:
            words = "live, yours, not in your token list"
            return Identity(words, live=True, uuid=uuid, account=owner)
        return Identity(
            self._describe(token),
            live=True,
            uuid=uuid,
            description=token.label,
            account=owner,
            token=token,
        )

    def _exchange(
        self, identifier: str, secret: Secret
    ) -> SessionToken | TwoFactorChallenge | None:
        """The Hub's session for the secret, None when it does not sign in; a short
        Retry-After is waited out, a long one (or none at all) stops the run."""
        limits = 0
        while True:
            if self._cancelled is not None and self._cancelled.is_set():
                raise _Stop("the check was cancelled")
            self._sent += 1
            try:
                return self._hub.auth_token(identifier, secret)
            except AuthenticationFailed:
                return None
            except RateLimited as limited:
                limits += 1
                if limits > MAX_RETRIES:
                    raise _Stop(
                        f"{host_of(self._hub.base_url)} keeps rate limiting this check"
                    ) from None
                self._wait_out(limited)
            except HubError as exc:
                raise _Stop(exc.message) from None

    def _wait_out(self, limited: RateLimited) -> None:
        now = self._clock()
        host = host_of(self._hub.base_url)
        if limited.retry_at is None:
            raise _Stop(f"{host} is rate limiting this check and does not say for how long")
        delay = (limited.retry_at - now).total_seconds()
        if delay > self._max_wait.total_seconds():
            when = relative(limited.retry_at, now)
            raise _Stop(
                f"{host} is rate limiting this check until {exact(limited.retry_at)} ({when})"
            )
        self._sleep(max(delay, 0.0))

    def _fetch(self, session: SessionToken, uuid: str) -> AccessToken | None:
        """A token made after the list was read."""
        try:
            return self._hub.get_token(session, uuid)
        except NotFound:
            return None

    def _describe(self, token: AccessToken) -> str:
        now = self._clock()
        scope = token.scope
        facts = [
            scope.label if scope is not None else ", ".join(token.scopes) or "no scope",
            token.status(now).value.lower(),
            "never used before"
            if token.last_used is None
            else f"last used {relative(token.last_used, now)}",
        ]
        if token.uuid.lower() == (self._device_token or "").lower():
            facts.insert(0, "this device's auto token")
        return f"your token '{token.label}' ({', '.join(facts)})"


def _distinct(findings: Iterable[Finding]) -> dict[str, _Secret]:
    """One entry per secret, in the order found; a docker config entry's user name wins."""
    distinct: dict[str, _Secret] = {}
    for finding in findings:
        known = distinct.get(finding.fingerprint)
        if known is None or (known.account is None and finding.account):
            distinct[finding.fingerprint] = _Secret(finding.secret, finding.kind, finding.account)
    return distinct


def _not_asked(found: _Secret) -> Identity | None:
    """The identity of a secret that is not sent to the Hub, or None to ask."""
    if found.kind == KIND_DOCKER_CONFIG_PASSWORD:
        return Identity(PASSWORD_WORDS, account=found.account)
    if found.kind == KIND_DOCKER_CONFIG_IDENTITY_TOKEN:
        return Identity(IDENTITY_TOKEN_WORDS, account=found.account)
    if found.kind == KIND_OAT and found.account is None:
        return Identity(ORGANIZATION_WORDS)
    return None
