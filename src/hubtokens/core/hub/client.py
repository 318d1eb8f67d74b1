"""``HubClient``: sign-in and personal access token management on a Docker Hub API.

Every call validates its input before sending anything, carries a timeout, and turns every
``requests`` failure into the error tree of core/errors.py (reference docker-hub-api.md §1–2).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from hubtokens.core.errors import HubUnreachable, NotFound, ProtocolError, UsageError
from hubtokens.core.hub.errormap import Route, decode_json, error_body, error_for
from hubtokens.core.hub.http import DEFAULT_TIMEOUT, build_session, describe_failure
from hubtokens.core.hub.models import (
    UUID_PATTERN,
    AccessToken,
    CreatedToken,
    RateLimit,
    Scope,
    SessionToken,
    TokenPage,
    TwoFactorChallenge,
    expect_object,
    format_time,
)
from hubtokens.core.hub.ratelimit import parse_rate_limit
from hubtokens.core.hub.urls import DESKTOP_GENERATE_PATH, host_of, normalize_hub_url, same_origin
from hubtokens.core.labels import MAX_LABEL_LENGTH
from hubtokens.core.secret import Secret

log = logging.getLogger(__name__)

TOKENS_PATH = "/v2/access-tokens"
MAX_PAGE_SIZE = 100
MAX_PAGES = 10_000  # a million tokens; a larger count is a broken hub, not an account

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HubClient:
    """A Docker Hub API client. Thread-safe: ``list_tokens`` itself fetches pages in threads."""

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        page_concurrency: int = 8,
        clock: Clock = _utc_now,
    ) -> None:
        if page_concurrency < 1:
            raise ValueError("page_concurrency must be at least 1")
        self.base_url = normalize_hub_url(base_url)
        self._host = host_of(self.base_url)
        self._session = session or build_session(pool_size=page_concurrency)
        self._timeout = timeout
        self._page_concurrency = page_concurrency
        self._clock = clock
        self._lock = threading.Lock()
        self._rate_limit: RateLimit | None = None

    @property
    def rate_limit(self) -> RateLimit | None:
        """The ``X-RateLimit-*`` headers of the last response that had them."""
        with self._lock:
            return self._rate_limit

    # --- sign-in ----------------------------------------------------------------------------

    def login(self, username: str, password: Secret) -> SessionToken | TwoFactorChallenge:
        """``POST /v2/users/login``: a session, or a request for the second factor."""
        _require_text(username, "username")
        _require_secret(password, "password")
        body = {"username": username, "password": password.reveal()}
        return self._sign_in("/v2/users/login", body, username, "token")

    def auth_token(self, identifier: str, secret: Secret) -> SessionToken | TwoFactorChallenge:
        """``POST /v2/auth/token`` with a password or a PAT (a PAT session cannot manage PATs)."""
        _require_text(identifier, "username")
        _require_secret(secret, "password or token")
        body = {"identifier": identifier, "secret": secret.reveal()}
        return self._sign_in("/v2/auth/token", body, identifier, "access_token")

    def login_2fa(self, challenge: TwoFactorChallenge, code: str) -> SessionToken:
        """``POST /v2/users/2fa-login``: answer a ``TwoFactorChallenge`` with a one-time code."""
        code = "".join(code.split())
        _require_text(code, "two-factor code")
        body = {"login_2fa_token": challenge.login_2fa_token.reveal(), "code": code}
        response = self._send(
            "POST", self._url("/v2/users/2fa-login"), Route.SECOND_FACTOR, body=body
        )
        return _session_from(self._json(response, Route.SECOND_FACTOR, (200, 201)), "token")

    def _sign_in(
        self, path: str, body: dict[str, str], username: str, field: str
    ) -> SessionToken | TwoFactorChallenge:
        response = self._send("POST", self._url(path), Route.LOGIN, body=body)
        if response.status_code == 401:
            challenge = error_body(response.content).get("login_2fa_token")
            if isinstance(challenge, str) and challenge:
                return TwoFactorChallenge(username=username, login_2fa_token=Secret(challenge))
        return _session_from(self._json(response, Route.LOGIN, (200, 201)), field)

    # --- tokens -----------------------------------------------------------------------------

    def list_tokens_page(
        self, session: SessionToken, page: int = 1, page_size: int = MAX_PAGE_SIZE
    ) -> TokenPage:
        """One page of ``GET /v2/access-tokens``."""
        if page < 1:
            raise UsageError("page numbers start at 1")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise UsageError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        return self._page(session, self._page_url(page, page_size))

    def list_tokens(
        self,
        session: SessionToken,
        *,
        page_size: int = MAX_PAGE_SIZE,
        on_progress: Progress | None = None,
    ) -> list[AccessToken]:
        """Every token, in the hub's order, each once.

        When the first page says how many tokens there are, the other pages are fetched
        concurrently by number; otherwise ``next`` is followed page by page. Tokens created
        or deleted meanwhile may shift pages: duplicates are dropped and a page that no
        longer exists counts as empty. ``on_progress(loaded, total)`` is called in the
        calling thread after each page; ``total`` is 0 while unknown.
        """
        first = self.list_tokens_page(session, 1, page_size)
        pages = [first]
        report = _Reporter(on_progress, first.count)
        report(first)
        if first.count is not None:
            # a hub that caps page_size sends short pages: count pages by what it sent
            per_page = len(first.results) if first.next and first.results else page_size
            last = math.ceil(first.count / min(per_page, page_size))
            if last > MAX_PAGES:
                raise ProtocolError(f"the hub reports {first.count} tokens: too many to list")
            numbers = range(2, last + 1)
            pages += self._pages_concurrently(session, numbers, page_size, report)
        # follow `next` when the count is unknown, or when tokens were added meanwhile
        pages += self._follow_next(session, pages[-1], report)
        return _unique(token for page in pages for token in page.results)

    def get_token(self, session: SessionToken, uuid: str) -> AccessToken:
        """``GET /v2/access-tokens/{uuid}``."""
        response = self._send("GET", self._token_url(uuid), Route.TOKENS, session=session)
        return AccessToken.from_json(self._json(response, Route.TOKENS, (200,)))

    def create_token(
        self,
        session: SessionToken,
        label: str,
        scopes: Sequence[Scope],
        expires_at: datetime | None = None,
    ) -> CreatedToken:
        """``POST /v2/access-tokens``: the new token and its secret (shown only this once)."""
        body: dict[str, Any] = {"token_label": _check_label(label), "scopes": _check_scopes(scopes)}
        if expires_at is not None:
            body["expires_at"] = format_time(self._check_expiry(expires_at))
        response = self._send(
            "POST", self._url(TOKENS_PATH), Route.TOKENS, session=session, body=body
        )
        return CreatedToken.from_json(self._json(response, Route.TOKENS, (200, 201)))

    def desktop_generate(self, session: SessionToken) -> Secret:
        """``POST /v2/access-tokens/desktop-generate``: the secret of a new auto-generated PAT.

        Only a web sign-in's session may ask; the Hub answers with the secret alone, so the
        caller learns the token's uuid another way (``SessionToken.pat_uuid`` of a session
        signed in with it).
        """
        url = self._url(DESKTOP_GENERATE_PATH)
        response = self._send("POST", url, Route.DESKTOP_GENERATE, session=session)
        body = expect_object(
            self._json(response, Route.DESKTOP_GENERATE, (200, 201)), "a generated token"
        )
        token = expect_object(body.get("data"), "a generated token").get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("the hub's response lacks the 'token' field")
        return Secret(token)

    def update_token(
        self,
        session: SessionToken,
        uuid: str,
        *,
        label: str | None = None,
        is_active: bool | None = None,
    ) -> AccessToken:
        """``PATCH /v2/access-tokens/{uuid}``: rename, activate or deactivate."""
        url = self._token_url(uuid)
        body: dict[str, Any] = {}
        if label is not None:
            body["token_label"] = _check_label(label)
        if is_active is not None:
            body["is_active"] = is_active
        if not body:
            raise UsageError("nothing to change: give a new label or an active state")
        response = self._send("PATCH", url, Route.TOKENS, session=session, body=body)
        return AccessToken.from_json(self._json(response, Route.TOKENS, (200,)))

    def delete_token(self, session: SessionToken, uuid: str) -> None:
        """``DELETE /v2/access-tokens/{uuid}`` (204; 200 and hub-tool's 202 also mean done)."""
        response = self._send("DELETE", self._token_url(uuid), Route.TOKENS, session=session)
        self._check_status(response, Route.TOKENS, (200, 202, 204))
        if response.status_code != 204 and response.content.strip():
            # A 200 carrying a proxy's page or garbage is not the hub saying "deleted": the
            # keeper would forget a token that is still there.
            decode_json(response.content, response.status_code)

    # --- URLs -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _token_url(self, uuid: str) -> str:
        if not UUID_PATTERN.fullmatch(uuid):
            raise UsageError("a token id looks like 8-4-4-4-12 hexadecimal digits")
        return self._url(f"{TOKENS_PATH}/{uuid.lower()}")

    def _page_url(self, page: int, page_size: int) -> str:
        return self._url(f"{TOKENS_PATH}?{urlencode({'page': page, 'page_size': page_size})}")

    # --- listing helpers --------------------------------------------------------------------

    def _page(self, session: SessionToken, url: str) -> TokenPage:
        response = self._send("GET", url, Route.TOKENS, session=session)
        return TokenPage.from_json(self._json(response, Route.TOKENS, (200,)))

    def _page_or_empty(self, session: SessionToken, number: int, page_size: int) -> TokenPage:
        try:
            return self._page(session, self._page_url(number, page_size))
        except NotFound:  # deletions since page 1 left fewer pages
            return TokenPage(count=None, next=None, previous=None, active_count=None, results=())

    def _pages_concurrently(
        self, session: SessionToken, numbers: range, page_size: int, report: _Reporter
    ) -> list[TokenPage]:
        if not numbers:
            return []
        pool = ThreadPoolExecutor(
            max_workers=min(self._page_concurrency, len(numbers)), thread_name_prefix="hub-page"
        )
        try:
            futures = [pool.submit(self._page_or_empty, session, n, page_size) for n in numbers]
            for done in as_completed(futures):
                report(done.result())
            return [future.result() for future in futures]
        finally:
            # on the first failure, pages not yet started are not fetched at all
            pool.shutdown(wait=True, cancel_futures=True)

    def _follow_next(
        self, session: SessionToken, page: TokenPage, report: _Reporter
    ) -> Iterator[TokenPage]:
        seen: set[str] = set()
        url = page.next
        while url and page.results:
            url = urljoin(self.base_url + TOKENS_PATH, url)
            # the bearer goes only to the hub it was issued by
            if not same_origin(url, self.base_url):
                raise ProtocolError(f"the hub's next page is not on {self._host}")
            if url in seen:
                raise ProtocolError("the hub's pages lead back to a page already read")
            seen.add(url)
            page = self._page(session, url)
            report(page)
            yield page
            url = page.next

    # --- HTTP -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        route: Route,
        *,
        session: SessionToken | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        headers = {} if session is None else {"Authorization": f"Bearer {session.jwt.reveal()}"}
        try:
            response = self._session.request(
                method,
                url,
                json=body,
                headers=headers,
                timeout=self._timeout,
                # a redirect could carry the bearer elsewhere: report it instead
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise HubUnreachable(f"cannot reach {self._host}: {describe_failure(exc)}") from exc
        log.debug("%s %s -> %s", method, urlsplit(url).path, response.status_code)
        limits = parse_rate_limit(response.headers)
        if limits is not None:
            with self._lock:
                self._rate_limit = limits
        return response

    def _check_status(self, response: requests.Response, route: Route, ok: tuple[int, ...]) -> None:
        if response.status_code not in ok:
            body = error_body(response.content)
            raise error_for(response.status_code, body, response.headers, route, self._clock())

    def _json(self, response: requests.Response, route: Route, ok: tuple[int, ...]) -> object:
        self._check_status(response, route, ok)
        return decode_json(response.content, response.status_code)

    def _check_expiry(self, expires_at: datetime) -> datetime:
        if expires_at.tzinfo is None:
            raise UsageError("the expiry date needs a time zone")
        if expires_at <= self._clock():
            raise UsageError("the expiry date must be in the future")
        return expires_at


class _Reporter:
    """Counts loaded tokens and tells ``on_progress``."""

    def __init__(self, on_progress: Progress | None, total: int | None) -> None:
        self._on_progress = on_progress
        self._total = total or 0
        self._loaded = 0

    def __call__(self, page: TokenPage) -> None:
        self._loaded += len(page.results)
        if self._on_progress is not None:
            # tokens created meanwhile can take us past the first page's count
            total = max(self._total, self._loaded) if self._total else 0
            self._on_progress(self._loaded, total)


def _unique(tokens: Iterable[AccessToken]) -> list[AccessToken]:
    seen: dict[str, AccessToken] = {}
    for token in tokens:
        seen.setdefault(token.uuid, token)
    return list(seen.values())


def _session_from(data: object, field: str) -> SessionToken:
    jwt = expect_object(data, "a sign-in answer").get(field)
    if not isinstance(jwt, str) or not jwt:
        raise ProtocolError(f"the hub's response lacks the {field!r} field")
    return SessionToken.from_jwt(jwt)


def _check_label(label: str) -> str:
    if not label.strip():
        raise UsageError("the token description cannot be empty")
    if len(label) > MAX_LABEL_LENGTH:
        raise UsageError(f"the token description is longer than {MAX_LABEL_LENGTH} characters")
    if not label.isprintable():
        raise UsageError("the token description cannot contain control characters")
    return label


def _check_scopes(scopes: Sequence[Scope]) -> list[str]:
    if isinstance(scopes, str) or not scopes:
        raise UsageError("choose an access level for the token")
    try:
        return [Scope(scope).value for scope in scopes]
    except ValueError:
        choices = ", ".join(scope.value for scope in Scope)
        raise UsageError(f"unknown scope; choose from: {choices}") from None


def _require_text(value: str, what: str) -> None:
    if not value.strip():
        raise UsageError(f"the {what} cannot be empty")


def _require_secret(value: Secret, what: str) -> None:
    if not value:
        raise UsageError(f"the {what} cannot be empty")
