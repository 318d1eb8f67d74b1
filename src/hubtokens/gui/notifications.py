"""What is worth interrupting a person for, decided from one sync's result (pure).

Each lasting condition (the keychain is unavailable, a token expires soon) is announced once
while it lasts: ``notifications_for`` returns the keys of the conditions seen now, and the
caller passes them back next time. A condition that ends and comes back is announced again.
A recreated auto token is an event, announced every time it happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.keeper.reports import AUTO_TOKEN_LIMIT
from hubtokens.core.timefmt import exact, relative
from hubtokens.gui.state import (
    EXPIRY_WARNING,
    SESSION_ENDED_LINE,
    AccountCheck,
    Health,
    as_sentence,
    token_deleted,
)


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    message: str
    health: Health = Health.HEALTHY  # how serious: picks the icon of the message


def notifications_for(
    check: AccountCheck, now: datetime, announced: frozenset[str]
) -> tuple[list[Notification], frozenset[str]]:
    """The notifications to show now, and the keys of the conditions that hold now."""
    shown: list[Notification] = []
    if check.report.recreated:
        shown.append(
            Notification(
                "Auto token recreated",
                f"{as_sentence(check.report.message)}. docker gets the new one where it uses "
                "Hub Tokens (Let docker use this token).",
                Health.ATTENTION,
            )
        )
    current: set[str] = set()
    for key, notification in _conditions(check, now):
        current.add(key)
        if key not in announced:
            shown.append(notification)
    return shown, frozenset(current)


def _conditions(check: AccountCheck, now: datetime) -> Iterator[tuple[str, Notification]]:
    verdict = check.verdict
    if verdict is Verdict.KEYCHAIN_UNAVAILABLE:
        yield (
            "keychain",
            Notification(
                "Keychain unavailable",
                f"{as_sentence(check.report.message)}. Hub Tokens keeps secrets only in the keychain.",
                Health.ERROR,
            ),
        )
    if check.session_ended:
        yield "session-ended", Notification("Sign in again", f"{SESSION_ENDED_LINE}.", Health.ERROR)
    elif verdict is Verdict.PAUSE_SESSION:
        yield (
            "session-expired",
            Notification(
                "Sign in again",
                "Your Docker Hub sign-in has expired. docker keeps its token; sign in again to "
                "manage tokens.",
                Health.ERROR,
            ),
        )
    if check.displaced:  # announced again only if it ends (recreated) and comes back
        yield (
            "auto-token-displaced",
            Notification(
                "Auto token displaced",
                f"Sign-ins on other devices made {AUTO_TOKEN_LIMIT} newer auto-generated tokens "
                f"on your account, and Docker Hub keeps at most {AUTO_TOKEN_LIMIT}: this "
                "device's was deleted, so docker cannot use it. Hub Tokens does not recreate it "
                "on its own, as that would displace another device's token. Choose "
                "Recreate token… to make one anyway.",
                Health.ATTENTION,
            ),
        )
    elif token_deleted(check) and check.auto_record is not None and not check.session_ended:
        yield (
            f"auto-token-deleted:{check.auto_record.uuid}",
            Notification(
                "Auto token deleted",
                "This device's auto token was deleted on Docker Hub, so docker cannot use it. "
                + _comes_back(check, now),
                Health.ATTENTION,
            ),
        )
    if verdict is Verdict.REPORT_INACTIVE:
        yield (
            "auto-token-inactive",
            Notification(
                "Auto token deactivated",
                "This device's auto token was deactivated on Docker Hub, so docker cannot use it. "
                "Activate it in Manage access tokens; Hub Tokens does not replace it.",
                Health.ATTENTION,
            ),
        )
    expires = check.session_expires_at
    if (
        check.credential == "auto-token"
        and check.sign_in != "web"  # its access token lasts minutes and renews itself
        and verdict is not Verdict.PAUSE_SESSION
        and expires is not None
        and now < expires <= now + EXPIRY_WARNING
    ):
        yield (
            f"session-expiring:{expires.isoformat()}",
            Notification(
                "Sign-in expires soon",
                f"Your Docker Hub sign-in expires {relative(expires, now)} ({exact(expires)}). "
                "Sign in again to keep managing tokens.",
                Health.ATTENTION,
            ),
        )
    for token in check.expiring:
        assert token.expires_at is not None
        yield (
            f"token-expiring:{token.uuid}:{token.expires_at.isoformat()}",
            Notification(
                "Access token expires soon",
                f"“{token.label}” expires {relative(token.expires_at, now)} "
                f"({exact(token.expires_at)}). Replace it in Manage access tokens.",
                Health.ATTENTION,
            ),
        )


def _comes_back(check: AccountCheck, now: datetime) -> str:
    """When the deleted token's successor is made, as the keeper said in this check."""
    action = check.report.action
    if action.verdict is Verdict.WAIT_FOR_BUDGET and action.until is not None:
        return (
            f"Hub Tokens makes a new one {relative(action.until, now)} ({exact(action.until)}), "
            "or at once with Sync now."
        )
    if action.verdict is Verdict.BACK_OFF and action.until is not None:
        return f"Docker Hub is rate limiting this account: a new one is made after {exact(action.until)}."
    if action.verdict is Verdict.PAUSE_SESSION:
        return "Sign in again to get a new one."
    if action.verdict is Verdict.KEYCHAIN_UNAVAILABLE:
        return "Hub Tokens makes a new one once the keychain can be used again."
    return "Hub Tokens makes a new one once Docker Hub can be reached; Sync now tries at once."
