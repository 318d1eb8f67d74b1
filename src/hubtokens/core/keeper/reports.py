"""What the keeper tells its front ends: the results of its runs, and the words for them.

Every sentence here says what the keeper will do; the rules that make it true are in
``policy.py`` and the rooms beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hubtokens.core.hub.models import AccessToken, SessionToken
from hubtokens.core.keeper.policy import Action, CreateReason, Observation, Verdict
from hubtokens.core.settings import AccountRecord
from hubtokens.core.timefmt import exact

CHECK_INTERVAL = timedelta(minutes=15)
OFFLINE_RETRY = timedelta(minutes=2)
#: Docker keeps at most this many auto-generated tokens per account, deleting the oldest.
AUTO_TOKEN_LIMIT = 5
#: How a person recreates a displaced token from the command line.
DISPLACE_COMMAND = "hubtokens sync --displace"


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What one reconcile saw and did, in words a person can read."""

    hub_url: str
    account: str
    observation: Observation
    action: Action
    message: str
    created: AccessToken | None = None
    deleted: tuple[str, ...] = ()
    next_check_at: datetime | None = None

    @property
    def recreated(self) -> bool:
        return self.created is not None and self.action.reason is not CreateReason.FIRST


@dataclass(frozen=True, slots=True)
class SignInResult:
    hub_url: str
    account: str
    session: SessionToken
    with_pat: bool
    report: ReconcileReport | None
    sign_in: str = "password"  # or "web": through the browser (the device flow)


@dataclass(frozen=True, slots=True)
class SignOutResult:
    hub_url: str
    account: str
    deleted_token: str | None
    # A web session: whether it is over on the sign-in service (revoked now, or ended before);
    # False when the revoke could not be sent (offline). None for a password session.
    session_closed: bool | None = None


@dataclass(frozen=True, slots=True)
class Recreation:
    """This device needs a new auto token: why, and from when it may be made."""

    reason: CreateReason
    # From when the keeper's own runs (the app's timer, plain `sync`) may make it, as the
    # budget and the hub allow; None: already now, or never on its own (see ``automatic``).
    automatic_at: datetime | None
    rate_limited_until: datetime | None  # the hub's Retry-After: a person's request waits too
    # False when only a person's explicit request makes it: a displaced token (recreating it on
    # its own would displace another device's, and the devices would take turns for ever).
    automatic: bool = True


@dataclass(frozen=True, slots=True)
class AccountStatus:
    record: AccountRecord
    session_expires_at: datetime | None
    management: str | None  # None when management works, else why it is paused
    has_credential: bool
    next_check_at: datetime | None
    recreation: Recreation | None  # None while this device's auto token is in place
    session_ended: bool = False  # the web session's refresh was refused: sign in again


def next_check(action: Action, now: datetime) -> datetime:
    if action.until is not None:
        return action.until
    if action.verdict in (Verdict.OFFLINE, Verdict.KEYCHAIN_UNAVAILABLE):
        return now + OFFLINE_RETRY
    return now + CHECK_INTERVAL


def rate_limited_message(retry_at: datetime | None) -> str:
    when = f" until {exact(retry_at)}" if retry_at else ""
    return f"the hub is rate limiting this account{when}; nothing created"


_REASONS = {
    CreateReason.FIRST: "created the auto token for this device",
    CreateReason.DELETED_ON_HUB: "recreated the auto token: it was deleted on the hub",
    CreateReason.SECRET_LOST: "recreated the auto token: its secret was missing from the keychain",
    CreateReason.EXPIRED: "recreated the auto token: it had expired",
    CreateReason.DISPLACED: (
        "recreated the auto token; Docker Hub deleted the oldest other auto-generated token "
        f"to stay within its limit of {AUTO_TOKEN_LIMIT}"
    ),
}


# Why this device needs a token, as a sentence of its own (the budget can make it wait).
_NEEDED = {
    CreateReason.FIRST: "this device has no auto token yet",
    CreateReason.DELETED_ON_HUB: "the auto token was deleted on the hub",
    CreateReason.SECRET_LOST: "the auto token's secret is missing from the keychain",
    CreateReason.EXPIRED: "the auto token has expired",
    CreateReason.DISPLACED: "the auto token was displaced by another device's sign-in",
}

DISPLACED_MESSAGE = (
    "Docker Hub removed this device's auto token: the account holds "
    f"{AUTO_TOKEN_LIMIT} newer auto-generated tokens, Docker's limit of {AUTO_TOKEN_LIMIT} per "
    "account, so a sign-in on another device displaced it. It is not recreated automatically, "
    "which would displace another device's token in turn; to recreate it, deleting the oldest "
    f"other device's auto token: {DISPLACE_COMMAND}"
)
SESSION_ENDED_MESSAGE = (
    "your Docker sign-in ended: sign in again to manage tokens (the docker CLI keeps its token)"
)
SESSION_ENDED_TOKEN_GONE_MESSAGE = (
    "your Docker sign-in ended, and Docker Hub removed this device's token: sign in again"
)
SESSION_EXPIRED_MESSAGE = (
    "the sign-in session has expired: sign in again to manage tokens "
    "(the docker CLI keeps its token)"
)


def create_reason(value: str | None) -> CreateReason:
    """A pending create's reason as written; FIRST when missing or written by a newer version."""
    try:
        return CreateReason(value) if value else CreateReason.FIRST
    except ValueError:
        return CreateReason.FIRST


def created_message(reason: CreateReason | None) -> str:
    return _REASONS[reason or CreateReason.FIRST]


def describe(action: Action) -> str:
    verdict = action.verdict
    if verdict is Verdict.HEALTHY:
        return "the auto token is healthy"
    if verdict is Verdict.REPORT_INACTIVE:
        return "the auto token was deactivated on the hub; activate it to use it again (it is not replaced)"
    if verdict is Verdict.REPORT_DISPLACED:
        return DISPLACED_MESSAGE
    if verdict is Verdict.PAUSE_SESSION:
        return SESSION_EXPIRED_MESSAGE
    if verdict is Verdict.OFFLINE:
        return "cannot reach the hub; nothing changed"
    if verdict is Verdict.KEYCHAIN_UNAVAILABLE:
        return "the keychain is unavailable; nothing changed"
    if verdict is Verdict.BACK_OFF:
        return rate_limited_message(action.until)
    if verdict is Verdict.WAIT_FOR_BUDGET:
        assert action.reason is not None and action.until is not None
        return (
            f"{_NEEDED[action.reason]}; to avoid piling up tokens, the next one is created "
            f"automatically from {exact(action.until)}"
        )
    raise AssertionError(verdict)
