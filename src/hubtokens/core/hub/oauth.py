"""The client of Docker's sign-in service: the OAuth 2.0 device authorization grant (RFC 8628),
refresh-token rotation and revocation, as the docker CLI and Docker Desktop sign in.

The person approves a one-time code in a browser while ``SignInService.wait`` polls the token
endpoint; afterwards the refresh token renews the session. Every answer becomes either
``OAuthTokens`` or an error of core/errors.py whose message a person can read; no message, log
line or repr carries a code or token.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from hubtokens.core.errors import (
    HubError,
    ProtocolError,
    RateLimited,
    SignInCancelled,
    SignInDenied,
    SignInExpired,
    SignInServiceUnreachable,
    UsageError,
    WebSessionEnded,
)
from hubtokens.core.hub.errormap import error_body, safe_text
from hubtokens.core.hub.http import DEFAULT_TIMEOUT, build_session, describe_failure
from hubtokens.core.hub.models import decode_jwt_claims, expect_object, from_unix_time
from hubtokens.core.hub.ratelimit import parse_retry_at
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, host_of, is_loopback, normalize_hub_url
from hubtokens.core.secret import Secret

log = logging.getLogger(__name__)

# The docker CLI's sign-in settings (docker/cli internal/oauth/manager/util.go: tenant,
# audience, clientID; manager/manager.go: the scopes). The client ID is the CLI's public one:
# a device-flow client has no secret to keep, and the Hub's desktop-generate serves the
# sessions of Docker's own clients.
DOCKER_TENANT = "https://login.docker.com"
DOCKER_CLIENT_ID = "L4v0dmlNBpYUjGGab0C2JtgTgXr1Qz4d"
HUB_AUDIENCE = DEFAULT_HUB_URL
DEFAULT_SCOPES = ("openid", "offline_access")

TENANT_ENV = "HUBTOKENS_OAUTH_TENANT"
CLIENT_ID_ENV = "HUBTOKENS_OAUTH_CLIENT_ID"

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_SECONDS = 5.0  # RFC 8628 §3.5: every slow_down adds 5 s to the interval
DEFAULT_INTERVAL = 5.0  # RFC 8628 §3.2, when the service names none
MIN_POLL_INTERVAL = 0.1  # never spin, whatever a service says
# A longer interval is refused at start(), not clamped: polling sooner than asked breaks RFC 8628
# §3.2 (the device SHOULD wait that long) and invites slow_down, while honouring it would leave
# a person who approved waiting minutes, or past the code's lifetime for a poll that never comes.
# Refused, the sign-in fails at once with a clear error, before a code is shown to approve in vain.
MAX_POLL_INTERVAL = 60.0
MAX_EXPIRES_IN = 24 * 3600  # longer is a broken answer, not a sign-in

Clock = Callable[[], datetime]
# Pause for ``seconds`` unless ``cancelled`` is set first; True when it was set.
Pause = Callable[[threading.Event, float], bool]
OnWait = Callable[[datetime], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _pause(cancelled: threading.Event, seconds: float) -> bool:
    # waiting on the event, not sleeping, is what lets cancel() wake us at once
    return cancelled.wait(seconds)


@dataclass(frozen=True, slots=True)
class OAuthConfig:
    """Where and as whom to sign in."""

    tenant: str  # the sign-in service: "https://login.docker.com", or a local Hub's URL
    client_id: str
    audience: str = HUB_AUDIENCE
    scopes: tuple[str, ...] = DEFAULT_SCOPES


def oauth_config_for(
    hub_url: str,
    *,
    tenant: str | None = None,
    client_id: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> OAuthConfig:
    """The sign-in settings for ``hub_url``.

    The environment (``HUBTOKENS_OAUTH_TENANT``, ``HUBTOKENS_OAUTH_CLIENT_ID``) wins over the
    arguments (the settings file), which win over the defaults: the docker CLI's tenant and
    client ID for hub.docker.com, and the hub itself as the sign-in service for any other hub
    (a local Hub serves both).
    """
    hub = normalize_hub_url(hub_url)
    chosen_tenant, tenant_source = (
        _given(environ.get(TENANT_ENV), TENANT_ENV)
        or _given(tenant, "the sign-in service setting")
        or (DOCKER_TENANT if hub == DEFAULT_HUB_URL else hub, "the hub URL")
    )
    chosen_client, client_source = (
        _given(environ.get(CLIENT_ID_ENV), CLIENT_ID_ENV)
        or _given(client_id, "the client ID setting")
        or (DOCKER_CLIENT_ID, "the default client ID")
    )
    return OAuthConfig(
        tenant=_check_tenant(chosen_tenant, tenant_source),
        client_id=_check_client_id(chosen_client, client_source),
    )


def _given(value: str | None, source: str) -> tuple[str, str] | None:
    """``(value, source)`` when set; an empty variable counts as unset."""
    return (value.strip(), source) if value and value.strip() else None


def _check_tenant(url: str, source: str) -> str:
    try:
        return normalize_hub_url(url)
    except UsageError as exc:
        raise UsageError(
            f"{source} is not a usable sign-in service address",
            hint=f"{exc.message.replace('hub URL', 'address')} (e.g. {DOCKER_TENANT})",
        ) from None


def _check_client_id(client_id: str, source: str) -> str:
    if len(client_id) > 200 or not client_id.isprintable() or " " in client_id:
        raise UsageError(f"{source} is not a usable OAuth client ID")
    return client_id


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """A started sign-in: the code the person approves, and how long it is valid."""

    device_code: Secret
    user_code: str
    verification_uri: str
    verification_uri_complete: str  # the page with the code filled in
    expires_at: datetime
    interval: float  # seconds between polls, as the service asked


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """A session from the sign-in service."""

    access_token: Secret  # a JWT; SessionToken.from_jwt(access_token.reveal()) reads it
    refresh_token: Secret | None  # None: the service did not rotate it, keep the old one


class SignInService:
    """Docker's sign-in service (one tenant). Thread-safe; one ``wait`` per authorization."""

    def __init__(
        self,
        config: OAuthConfig,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        clock: Clock = _utc_now,
        sleep: Pause = _pause,
    ) -> None:
        self.config = config
        self._host = host_of(config.tenant)
        self._session = session or build_session()
        self._timeout = timeout
        self._clock = clock
        self._sleep = sleep

    # --- device authorization ---------------------------------------------------------------

    def start(self) -> DeviceAuthorization:
        """``POST /oauth/device/code``: a code for the person to approve in a browser."""
        form = {
            "client_id": self.config.client_id,
            "audience": self.config.audience,
            "scope": " ".join(self.config.scopes),
        }
        response = self._post("/oauth/device/code", form)
        if response.status_code != 200:
            raise self._failure(response, error_body(response.content))
        return self._authorization(_json(response))

    def wait(
        self,
        authorization: DeviceAuthorization,
        cancelled: threading.Event,
        on_wait: OnWait | None = None,
    ) -> OAuthTokens:
        """Poll until the person approves, and return the session.

        Polls every ``interval`` seconds (5 s more after each ``slow_down``) until
        ``expires_at``. ``on_wait(next_poll_at)`` is called before each pause. A network
        failure or a server error is retried at the interval; still failing at expiry, it
        becomes SignInServiceUnreachable. ``cancelled.set()`` ends the wait at once with
        SignInCancelled; a poll already on the wire is answered first, and tokens it brings
        are revoked, so a cancelled sign-in leaves no session behind.
        """
        interval = max(authorization.interval, MIN_POLL_INTERVAL)
        unreachable: SignInServiceUnreachable | None = None
        while True:
            left = (authorization.expires_at - self._clock()).total_seconds()
            if left <= 0:
                if unreachable is not None:
                    raise unreachable
                raise SignInExpired(hint="start the sign-in again for a new code")
            pause = min(interval, left)
            if on_wait is not None:
                on_wait(self._clock() + timedelta(seconds=pause))
            if self._sleep(cancelled, pause) or cancelled.is_set():
                raise SignInCancelled
            if self._clock() >= authorization.expires_at:
                continue  # RFC 8628 §3.5: no poll once the code has expired
            try:
                tokens = self._poll(authorization)
            except SignInServiceUnreachable as exc:
                log.info("sign-in poll failed, retrying: %s", exc.message)
                unreachable = exc
                continue
            except (_SlowDown, RateLimited):
                interval += SLOW_DOWN_SECONDS
                log.info("the sign-in service asked to slow down: polling every %gs", interval)
                tokens = None
            unreachable = None  # it answered
            if tokens is None:
                continue
            if cancelled.is_set():
                self._revoke_quietly(tokens)
                raise SignInCancelled
            return tokens

    def _poll(self, authorization: DeviceAuthorization) -> OAuthTokens | None:
        """One token request: the tokens, or None while approval is pending."""
        form = {
            "client_id": self.config.client_id,
            "grant_type": DEVICE_CODE_GRANT,
            "device_code": authorization.device_code.reveal(),
        }
        response = self._post("/oauth/token", form)
        if response.status_code == 200:
            return self._tokens(_json(response))
        body = error_body(response.content)
        # Auth0 answers these with 403, RFC 8628 with 400: go by the error, not the status
        code = body.get("error")
        if code == "authorization_pending":
            return None
        if code == "slow_down":
            raise _SlowDown
        if code == "access_denied":
            raise SignInDenied(hint="start the sign-in again if that was a mistake")
        if code in ("expired_token", "invalid_grant"):
            raise SignInExpired(hint="start the sign-in again for a new code")
        raise self._failure(response, body)

    # --- the session ------------------------------------------------------------------------

    def refresh(self, refresh_token: Secret) -> OAuthTokens:
        """``grant_type=refresh_token``: a new access token and, when the service rotates,
        a new refresh token (store it before dropping the old one).

        A refused refresh token raises WebSessionEnded. Anything else, above all a network
        failure or a server error (SignInServiceUnreachable), leaves the session as it was.
        """
        form = {
            "client_id": self.config.client_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.reveal(),
        }
        response = self._post("/oauth/token", form)
        if response.status_code == 200:
            return self._tokens(_json(response))
        body = error_body(response.content)
        if body.get("error") == "invalid_grant":
            raise WebSessionEnded(
                "your Docker sign-in has ended", hint="sign in again to manage tokens"
            )
        raise self._failure(response, body)

    def revoke(self, refresh_token: Secret) -> None:
        """``POST /oauth/revoke`` (RFC 7009): the session ends on the service."""
        form = {"client_id": self.config.client_id, "token": refresh_token.reveal()}
        response = self._post("/oauth/revoke", form)
        if response.status_code != 200:
            raise self._failure(response, error_body(response.content))

    def _revoke_quietly(self, tokens: OAuthTokens) -> None:
        if tokens.refresh_token is None:
            return
        try:
            self.revoke(tokens.refresh_token)
        except HubError as exc:
            log.warning("could not revoke the session of a cancelled sign-in: %s", exc.message)

    # --- answers ----------------------------------------------------------------------------

    def _authorization(self, data: object) -> DeviceAuthorization:
        body = expect_object(data, "a device authorization")
        verification_uri = self._page(body, "verification_uri")
        complete = body.get("verification_uri_complete")  # optional in RFC 8628
        return DeviceAuthorization(
            device_code=Secret(_text(body, "device_code")),
            user_code=_text(body, "user_code"),
            verification_uri=verification_uri,
            verification_uri_complete=(
                verification_uri
                if complete is None
                else self._page(body, "verification_uri_complete")
            ),
            expires_at=self._clock() + timedelta(seconds=_seconds(body, "expires_in")),
            interval=_seconds(body, "interval", DEFAULT_INTERVAL, most=MAX_POLL_INTERVAL),
        )

    def _page(self, body: Mapping[str, Any], field: str) -> str:
        """A URL to open in the browser: https, or http on this machine; nothing else."""
        url = _text(body, field)
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            raise ProtocolError(f"the sign-in service sent an invalid {field!r}") from None
        secure = parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host))
        if not secure or not host:
            raise ProtocolError(f"the sign-in service sent an invalid {field!r}")
        return url

    def _tokens(self, data: object) -> OAuthTokens:
        body = expect_object(data, "a token answer")
        access = _text(body, "access_token")
        claims = decode_jwt_claims(access)  # ProtocolError unless it is a JWT the Hub can read
        # the keeper renews ahead of the access token's exp (SessionToken.expires_at), so a
        # token without one would never be renewed; expires_in is not read, nothing needs it
        if from_unix_time(claims.get("exp")) is None:
            raise ProtocolError("the sign-in service sent an access token without an expiry")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ProtocolError("the sign-in service sent a token that is not a bearer token")
        refresh = body.get("refresh_token")
        if refresh is not None and (not isinstance(refresh, str) or not refresh):
            raise ProtocolError("the sign-in service sent an invalid 'refresh_token'")
        return OAuthTokens(
            access_token=Secret(access),
            refresh_token=None if refresh is None else Secret(refresh),
        )

    def _failure(self, response: requests.Response, body: Mapping[str, Any]) -> HubError:
        """The error for an answer that is neither success nor a known OAuth outcome."""
        status = response.status_code
        if status >= 500:
            return SignInServiceUnreachable(
                f"the sign-in service at {self._host} had a server error (HTTP {status})",
                status=status,
            )
        if status == 429:
            return RateLimited(
                "the sign-in service is rate limiting this device",
                retry_at=parse_retry_at(response.headers, self._clock()),
            )
        code = safe_text(body.get("error"))
        if code is None:
            return ProtocolError(
                f"the sign-in service answered HTTP {status} without an OAuth error",
                status=status,
            )
        said = safe_text(body.get("error_description"))
        detail = f" ({code}: {said})" if said else f" ({code})"
        if code in ("invalid_client", "unauthorized_client"):
            return HubError(
                f"the sign-in service does not accept this app's client ID{detail}",
                status=status,
                hint=f"check {CLIENT_ID_ENV} or the client ID setting",
            )
        return HubError(f"the sign-in service refused the request{detail}", status=status)

    # --- HTTP -------------------------------------------------------------------------------

    def _post(self, path: str, form: Mapping[str, str]) -> requests.Response:
        try:
            response = self._session.post(
                self.config.tenant + path,
                data=form,
                timeout=self._timeout,
                # a redirect could carry the codes elsewhere: report it instead
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SignInServiceUnreachable(
                f"cannot reach the sign-in service at {self._host}: {describe_failure(exc)}"
            ) from exc
        log.debug("POST %s -> %s", path, response.status_code)
        return response


class _SlowDown(Exception):
    """The service asked for a longer interval (RFC 8628 ``slow_down``)."""


def _json(response: requests.Response) -> object:
    """The service's answer as JSON; garbage is named as the sign-in service's, not the hub's."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        status = response.status_code
        raise ProtocolError(
            f"the sign-in service sent an answer that is not valid JSON (HTTP {status})",
            status=status,
        ) from None


def _text(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(f"the sign-in service's answer lacks the {field!r} field")
    return value


def _seconds(
    body: Mapping[str, Any],
    field: str,
    default: float | None = None,
    *,
    most: float = MAX_EXPIRES_IN,
) -> float:
    value = body.get(field)
    if value is None and default is not None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= most:
        raise ProtocolError(f"the sign-in service sent an invalid {field!r} field")
    return float(value)
