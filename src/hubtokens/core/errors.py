"""One error tree for the whole app.

Messages are written for people: they never carry URLs with queries, headers, response bodies
or secrets. Each class knows the CLI exit code it maps to, so every front end maps errors in
one place (the CLI by ``exit_code``, the GUI by type).
"""

from __future__ import annotations

from datetime import datetime


class ExitCode:
    """Exit codes of the ``hubtokens`` CLI (documented in ``--help`` and README)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    HUB_UNREACHABLE = 4
    KEYCHAIN = 5
    RATE_LIMITED = 6
    SCAN_FAILED = 7  # `hubtokens scan` could not finish: 1 stays "found"


class HubTokensError(Exception):
    """Something went wrong."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        self.message = message or (self.__doc__ or "error").strip().splitlines()[0]
        self.hint = hint
        super().__init__(self.message)


class UsageError(HubTokensError):
    """Invalid input."""

    exit_code = ExitCode.USAGE


class ScanFailed(HubTokensError):
    """The scan could not finish (git failed, for one): nothing can be said about leaks."""

    exit_code = ExitCode.SCAN_FAILED


class ConfigError(HubTokensError):
    """A settings or configuration file cannot be used."""


# --- keychain -------------------------------------------------------------------------------


class VaultError(HubTokensError):
    """The keychain failed."""

    exit_code = ExitCode.KEYCHAIN


class VaultUnavailable(VaultError):
    """The keychain is not available (missing, locked or not answering)."""


# --- session state --------------------------------------------------------------------------


class NotSignedIn(HubTokensError):
    """Not signed in to this hub."""

    exit_code = ExitCode.AUTH


class SessionExpired(HubTokensError):
    """The sign-in session has expired: sign in again to manage tokens."""

    exit_code = ExitCode.AUTH


class WebSessionEnded(SessionExpired):
    """Your Docker sign-in has ended: sign in again to manage tokens."""


# --- web sign-in (device authorization, RFC 8628) ------------------------------------------


class WebSignInFailed(HubTokensError):
    """The sign-in in the browser did not complete."""

    exit_code = ExitCode.AUTH


class SignInDenied(WebSignInFailed):
    """The sign-in was denied in the browser."""


class SignInExpired(WebSignInFailed):
    """The sign-in code expired before it was approved in the browser."""


class SignInCancelled(WebSignInFailed):
    """The sign-in was cancelled."""

    exit_code = ExitCode.ERROR


# --- the Hub --------------------------------------------------------------------------------


class HubError(HubTokensError):
    """The hub answered with an error."""

    def __init__(
        self, message: str | None = None, *, status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class HubUnreachable(HubError):
    """The hub cannot be reached."""

    exit_code = ExitCode.HUB_UNREACHABLE


class SignInServiceUnreachable(HubUnreachable):
    """Docker's sign-in service cannot be reached."""


class ServerError(HubError):
    """The hub had a server error."""

    exit_code = ExitCode.HUB_UNREACHABLE


class ProtocolError(HubError):
    """The hub sent a response this app does not understand."""


class InvalidRequest(HubError):
    """The hub rejected the request as invalid."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = 400,
        fields: dict[str, list[str]] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, hint=hint)
        self.fields = fields or {}


class AuthenticationFailed(HubError):
    """Incorrect username, password or code."""

    exit_code = ExitCode.AUTH


class PermissionDenied(HubError):
    """The hub does not allow this operation with this sign-in."""

    exit_code = ExitCode.AUTH


class NotFound(HubError):
    """Not found on the hub."""


class RateLimited(HubError):
    """The hub is rate limiting this account."""

    exit_code = ExitCode.RATE_LIMITED

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_at: datetime | None,
        status: int | None = 429,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, hint=hint)
        self.retry_at = retry_at
