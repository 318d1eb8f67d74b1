"""The one place a ``requests.Session`` is made (DESIGN.md "Conventions": HTTP)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from hubtokens import __version__

USER_AGENT = f"hubtokens/{__version__}"
# (connect, read) seconds: a connect timeout just above a TCP retransmit (3 s)
DEFAULT_TIMEOUT = (3.05, 20.0)

# A repeated GET/PUT/DELETE does no harm; a repeated POST could create a second token.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = (502, 503, 504)


class _Retry(Retry):
    """urllib3's ``Retry``, except that a read timeout is final.

    The hub answered the connection but is slow: asking again would multiply the wait the
    caller chose with its timeout, and the caller hears "timed out" instead of a wrapped error.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def build_session(*, pool_size: int = 10) -> requests.Session:
    """A session with our User-Agent and a retry policy safe for token management.

    Up to two retries, with a short exponential backoff, cover connection failures and
    502/503/504. A failure after the request may have reached the hub is retried only for
    idempotent methods; a connection that never opened is retried for any method, since
    nothing was sent. 429 is never retried here: the caller decides when to come back.
    ``pool_size`` is how many connections to keep per host (one per concurrent request).
    """
    retry = _Retry(
        total=2,
        other=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=0.2,
        backoff_max=2.0,
        # a 503's Retry-After could stall us for minutes; keep the backoff short
        respect_retry_after_header=False,
        # hand the last 5xx to the client, which maps it to ServerError
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool_size)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def describe_failure(exc: requests.RequestException) -> str:
    """A few words on a transport failure; never its text, which holds the URL."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the secure (TLS) connection failed"
    # urllib3 wraps the cause of a failed connection in MaxRetryError.reason
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NameResolutionError):
        return "host name not found"
    if isinstance(reason, NewConnectionError):
        return "connection refused"
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return "the connection dropped"
    return "the request failed"
