"""Error types to plain words, in one place for the whole GUI (DESIGN.md conventions)."""

from __future__ import annotations

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubTokensError,
    HubUnreachable,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    SessionExpired,
    VaultError,
)
from hubtokens.core.timefmt import exact


def describe_error(error: BaseException) -> str:
    """One or two sentences a person can act on. Never a traceback, URL query or secret."""
    if isinstance(error, RateLimited):
        when = f" until {exact(error.retry_at)}" if error.retry_at else ""
        return f"Docker Hub is limiting requests from this account{when}. Try again later."
    if isinstance(error, HubUnreachable):
        return f"Cannot reach Docker Hub: {error.message}. Check your connection."
    if isinstance(error, ServerError):
        return "Docker Hub had a server error. Try again in a moment."
    if isinstance(error, ProtocolError):
        return f"Docker Hub sent an answer this app does not understand ({error.message})."
    if isinstance(error, SessionExpired):
        return "Your sign-in has expired. Sign in again to manage tokens; docker keeps working."
    if isinstance(error, AuthenticationFailed):
        return _with_hint(error, "Incorrect username, password or code.")
    if isinstance(error, PermissionDenied):
        return _with_hint(error, error.message[:1].upper() + error.message[1:] + ".")
    if isinstance(error, InvalidRequest):
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        return f"Docker Hub refused the request: {fields or error.message}."
    if isinstance(error, NotFound):
        return "That token no longer exists on Docker Hub. Refresh the list."
    if isinstance(error, VaultError):
        return _with_hint(error, f"The keychain cannot be used: {error.message}.")
    if isinstance(error, HubTokensError):
        return _with_hint(error, error.message[:1].upper() + error.message[1:] + ".")
    return "Something unexpected went wrong. Details are in the log file."


def _with_hint(error: HubTokensError, text: str) -> str:
    return f"{text} {error.hint[:1].upper() + error.hint[1:]}." if error.hint else text
