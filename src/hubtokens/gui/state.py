"""The app's state as immutable values, and what the tray and the window show for it.

``AppState`` is what the session controller knows; ``tray_state()`` turns it into the words,
icon and enabled flags of ``TrayState``, a pure function of the state and the time, so every
menu is rebuilt from it and tests can check each case without a tray.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from hubtokens.core.hub.models import AccessToken
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, host_of
from hubtokens.core.keeper import ReconcileReport
from hubtokens.core.keeper.policy import CreateReason, Verdict
from hubtokens.core.keeper.reports import AUTO_TOKEN_LIMIT
from hubtokens.core.settings import AutoTokenRecord
from hubtokens.core.timefmt import exact, relative

EXPIRY_WARNING = timedelta(days=7)


class Health(Enum):
    """The tray icon's states."""

    SIGNED_OUT = "signed-out"
    HEALTHY = "healthy"
    ATTENTION = "attention"  # the token was recreated, is deactivated, or something expires soon
    ERROR = "error"  # the session expired or the keychain cannot be used


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """What one sync found out about the signed-in account (made on a worker thread)."""

    report: ReconcileReport
    credential: str  # "auto-token" (ours) or "pat" (signed in with an access token)
    auto_token: AccessToken | None  # this device's auto token as the hub lists it
    auto_record: AutoTokenRecord | None  # and as the settings had it after the check
    session_expires_at: datetime | None
    management_paused: str | None  # why tokens cannot be managed now, or None
    expiring: tuple[AccessToken, ...]  # active tokens that expire within EXPIRY_WARNING
    checked_at: datetime
    sign_in: str = "password"  # how the session was made: "password" or "web"
    session_ended: bool = False  # the sign-in service refused the web session's refresh

    @property
    def verdict(self) -> Verdict:
        return self.report.action.verdict

    @property
    def displaced(self) -> bool:
        """Newer sign-ins elsewhere took this device's place among Docker's 5 auto tokens."""
        return self.verdict is Verdict.REPORT_DISPLACED


@dataclass(frozen=True, slots=True)
class AppState:
    hub_url: str
    account: str | None = None  # None: signed out of this hub
    credential: str | None = None
    sign_in: str | None = None  # "web" or "password", as the keeper recorded the sign-in
    check: AccountCheck | None = None  # None until the first sync after start or sign-in
    syncing: bool = False
    next_sync_at: datetime | None = None  # when the app's timer checks again
    sync_error: str | None = None  # why the last sync could not run at all
    unseen_recreation: str | None = None  # a recreation the person has not looked at yet

    @property
    def signed_in(self) -> bool:
        return self.account is not None


@dataclass(frozen=True, slots=True)
class DockerStatus:
    """What docker on this device is set up to use (read from docker's and the helper's files)."""

    uses_helper: bool = False  # credHelpers name hubtokens for every Docker Hub key
    signed_out: tuple[str, ...] = ()  # servers of this hub signed out by `docker logout`
    # auths keys of docker's config.json holding a Docker Hub credential in plain text
    plain_credentials: tuple[str, ...] = ()
    problem: str | None = None  # why docker's config (or the helper's state) cannot be read
    busy: bool = False  # a change is being made


@dataclass(frozen=True, slots=True)
class TrayState:
    """Everything the tray menu and the window show; rebuilt whenever it is shown."""

    health: Health
    tooltip: str
    account_line: str
    token_line: str
    session_line: str | None = None  # how the session was made, and whether it renews itself
    status_line: str = ""  # where and when: "hub.docker.com · checked 2 min ago"
    notice_line: str | None = None  # a third line: something expires soon, a failed sync
    signed_in: bool = False
    needs_sign_in: bool = True  # "Sign in…" is offered (signed out, or the session expired)
    can_copy: bool = False  # a credential for docker can be copied
    can_manage: bool = False  # tokens can be listed and created
    can_recreate: bool = False  # the auto token was displaced: "Recreate token…" is offered
    syncing: bool = False
    start_at_login: bool = False
    docker: DockerStatus = DockerStatus()
    docker_line: str | None = None  # what docker cannot do now, and why


def tray_state(
    state: AppState,
    now: datetime,
    *,
    start_at_login: bool = False,
    docker: DockerStatus = DockerStatus(),
) -> TrayState:
    if state.account is None:
        return TrayState(
            health=Health.SIGNED_OUT,
            tooltip="Hub Tokens · not signed in",
            account_line="Not signed in",
            token_line="Sign in to keep a Docker Hub token for docker on this device",
            status_line=hub_name(state.hub_url),
            start_at_login=start_at_login,
            docker=docker,
            docker_line=_docker_line(docker),
        )
    health, token_line = _token_health(state, now)
    notice = _notice_line(state, now)
    if health is Health.HEALTHY and notice is not None and state.sync_error is None:
        health = Health.ATTENTION
    if health is Health.HEALTHY and docker.plain_credentials:
        health = Health.ATTENTION
    check = state.check
    session_ok = check is None or (
        check.verdict is not Verdict.PAUSE_SESSION and not check.session_ended
    )
    keychain_ok = check is None or check.verdict is not Verdict.KEYCHAIN_UNAVAILABLE
    # A deleted token's secret signs nobody in: copying it would only mislead.
    token_usable = check is None or not (
        token_deleted(check) or check.displaced or check.session_ended
    )
    return TrayState(
        health=health,
        tooltip=f"Hub Tokens · {state.account} · {_HEALTH_WORDS[health]}",
        account_line=f"Signed in as {state.account}",
        token_line=token_line,
        session_line=_session_line(state),
        status_line=_status_line(state, now),
        notice_line=notice,
        signed_in=True,
        needs_sign_in=not session_ok,
        can_copy=keychain_ok and token_usable,
        can_manage=state.credential == "auto-token"
        and session_ok
        and (check is None or check.management_paused is None),
        can_recreate=check is not None and check.displaced and session_ok,
        syncing=state.syncing,
        start_at_login=start_at_login,
        docker=docker,
        docker_line=_docker_line(docker),
    )


def _session_line(state: AppState) -> str | None:
    if state.credential != "auto-token":
        return None  # an access token's sign-in: the token line says what it can do
    if state.sign_in == "web":
        return "Signed in through your browser · the sign-in renews itself"
    if state.sign_in == "password":
        return "Signed in with a password · sign in again when it expires"
    return None


def _docker_line(docker: DockerStatus) -> str | None:
    if docker.problem is not None:
        return f"docker: {docker.problem}"
    if docker.signed_out:
        return "docker is signed out (docker logout) · Sign docker in again to use this token"
    if docker.plain_credentials:
        remedy = (
            "Remove docker's stored credential… deletes it"
            if docker.uses_helper
            else "Let docker use this token offers to remove it"
        )
        return f"docker's config.json keeps a Docker Hub credential in plain text · {remedy}"
    return None


_HEALTH_WORDS = {
    Health.SIGNED_OUT: "not signed in",
    Health.HEALTHY: "all good",
    Health.ATTENTION: "needs a look",
    Health.ERROR: "needs you",
}


def hub_name(hub_url: str) -> str:
    """The hub's name for people: Docker Hub, or another hub's host and port."""
    return "Docker Hub" if hub_url == DEFAULT_HUB_URL else host_of(hub_url)


def _status_line(state: AppState, now: datetime) -> str:
    parts = [hub_name(state.hub_url)]
    if state.syncing:
        parts.append("checking…")
    elif state.check is not None:
        parts.append(f"checked {relative(state.check.checked_at, now)}")
    if not state.syncing and state.next_sync_at is not None:
        parts.append(
            "next check now"
            if state.next_sync_at <= now
            else f"next check {relative(state.next_sync_at, now)}"
        )
    return " · ".join(parts)


def token_deleted(check: AccountCheck) -> bool:
    """This device's auto token is gone from the hub and no new one has replaced it yet."""
    return check.auto_record is not None and check.auto_record.deleted_at is not None


_MISSING = {  # why this device has no usable auto token while it waits to make one
    CreateReason.FIRST: "No auto token yet",
    CreateReason.DELETED_ON_HUB: "Auto token deleted on Docker Hub",
    CreateReason.SECRET_LOST: "Auto token missing from the keychain",
    CreateReason.EXPIRED: "Auto token expired",
    CreateReason.DISPLACED: "Auto token displaced",
}

SESSION_ENDED_LINE = (
    "Your Docker sign-in ended, and Docker Hub removed this device's token: sign in again"
)
DISPLACED_LINE = (
    f"Auto token displaced: sign-ins on other devices made {AUTO_TOKEN_LIMIT} newer ones "
    f"(Docker's limit of {AUTO_TOKEN_LIMIT} per account) · not recreated automatically; "
    "Recreate token… makes one"
)


def waiting_line(check: AccountCheck, now: datetime) -> str:
    """The budget makes the keeper wait: why, until when, and the way to have it at once."""
    action = check.report.action
    assert action.reason is not None and action.until is not None
    return (
        f"{_MISSING[action.reason]} · a new one is made automatically "
        f"{relative(action.until, now)} ({exact(action.until)}), or at once with Sync now"
    )


def _token_health(state: AppState, now: datetime) -> tuple[Health, str]:
    check = state.check
    if check is None:
        return Health.HEALTHY, "Checking the auto token…"
    if check.credential == "pat":
        return (
            Health.HEALTHY,
            "Signed in with an access token · docker uses it; managing tokens needs a password",
        )
    verdict = check.verdict
    deleted = token_deleted(check)
    if verdict is Verdict.KEYCHAIN_UNAVAILABLE:
        return Health.ERROR, "Keychain unavailable · nothing changed until it can be used"
    if check.session_ended:
        return Health.ERROR, SESSION_ENDED_LINE
    if verdict is Verdict.PAUSE_SESSION:
        if deleted:
            return Health.ERROR, "Sign-in expired · the auto token was deleted; sign in again"
        return Health.ERROR, "Sign-in expired · docker keeps its token; sign in again to manage"
    if verdict is Verdict.REPORT_INACTIVE:
        return Health.ATTENTION, "Auto token deactivated on Docker Hub · activate it to use it"
    if check.displaced:
        return Health.ATTENTION, DISPLACED_LINE
    if verdict is Verdict.WAIT_FOR_BUDGET:
        return Health.ATTENTION, waiting_line(check, now)
    if verdict is Verdict.BACK_OFF:
        return Health.ATTENTION, as_sentence(check.report.message)
    if state.unseen_recreation is not None:
        return Health.ATTENTION, as_sentence(state.unseen_recreation)
    if verdict is Verdict.OFFLINE:
        if deleted:
            return (
                Health.ATTENTION,
                "Auto token deleted on Docker Hub · Docker Hub unreachable; will retry",
            )
        return Health.HEALTHY, "Docker Hub unreachable · docker keeps its token; will retry"
    return Health.HEALTHY, _healthy_line(check, now)


def _healthy_line(check: AccountCheck, now: datetime) -> str:
    parts = ["Auto token healthy"]
    token = check.auto_token
    record = check.auto_record
    created = token.created_at if token is not None else record.created_at if record else None
    if created is not None:
        parts.append(f"created {relative(created, now)}")
    if token is not None:
        parts.append(
            "never used"
            if token.last_used is None
            else f"last used {relative(token.last_used, now)}"
        )
    return " · ".join(parts)


def _notice_line(state: AppState, now: datetime) -> str | None:
    if state.sync_error is not None:
        return f"Last check failed: {state.sync_error}"
    check = state.check
    if check is None:
        return None
    expires = check.session_expires_at
    if (
        check.credential == "auto-token"
        and check.sign_in != "web"  # its access token lasts minutes and renews itself
        and check.verdict is not Verdict.PAUSE_SESSION
        and expires is not None
        and expires - now <= EXPIRY_WARNING
    ):
        return f"Sign-in expires {relative(expires, now)} · sign in again to keep managing tokens"
    if len(check.expiring) == 1:
        token = check.expiring[0]
        assert token.expires_at is not None
        return f"“{token.label}” expires {relative(token.expires_at, now)}"
    if check.expiring:
        return f"{len(check.expiring)} tokens expire within 7 days"
    return None


def as_sentence(text: str) -> str:
    """The keeper's messages start in lower case (they follow "error: " in the CLI)."""
    return text[:1].upper() + text[1:]
