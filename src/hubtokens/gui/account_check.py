"""One sync of the signed-in account, run on a worker thread (never on the GUI thread).

It reconciles the auto token through the keeper, then, when tokens can be managed, lists the
account's tokens once: that gives the auto token's "last used" for the tray and the tokens that
expire soon for the notifications. Plain Python, no Qt: the controller submits it as a task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from hubtokens.core.errors import HubError, NotSignedIn, PermissionDenied, SessionExpired
from hubtokens.core.hub.models import AccessToken
from hubtokens.core.keeper import Keeper
from hubtokens.core.keeper.keeper import HubApi
from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.settings import AccountRecord
from hubtokens.gui.state import EXPIRY_WARNING, AccountCheck

# Verdicts after which asking the hub again now would only fail again (or cannot be stored).
_NO_LISTING = frozenset(
    {Verdict.KEYCHAIN_UNAVAILABLE, Verdict.PAUSE_SESSION, Verdict.OFFLINE, Verdict.BACK_OFF}
)


def check_account(
    keeper: Keeper,
    client_for: Callable[[str], HubApi],
    hub_url: str,
    clock: Callable[[], datetime],
    *,
    explicit: bool = False,
) -> AccountCheck:
    """``explicit``: a person asked (Sync now), so the creation budget does not hold it back."""
    report = keeper.reconcile(hub_url, explicit=explicit)
    record = keeper.account(hub_url)
    if record is None:  # signed out meanwhile (by the CLI)
        raise NotSignedIn(f"not signed in to {hub_url}")
    session_expires_at = record.session_expires_at
    paused: str | None = None
    tokens: list[AccessToken] = []
    if report.action.verdict not in _NO_LISTING:
        try:
            session = keeper.management_session(hub_url)
        except (SessionExpired, PermissionDenied) as exc:
            paused = exc.message
        else:
            session_expires_at = session.expires_at or session_expires_at
            try:
                tokens = client_for(hub_url).list_tokens(session)
            except HubError:
                tokens = []  # the reconcile got through a moment ago; the next sync lists
    now = clock()
    return AccountCheck(
        report=report,
        credential=record.credential,
        auto_token=_auto_token(record, tokens),
        auto_record=record.auto_token,
        session_expires_at=session_expires_at,
        management_paused=paused,
        expiring=tuple(_expiring_soon(tokens, now)),
        checked_at=now,
        sign_in=record.sign_in,
        session_ended=record.session_ended_at is not None,
    )


def _auto_token(record: AccountRecord, tokens: list[AccessToken]) -> AccessToken | None:
    if record.auto_token is None:
        return None
    return next((t for t in tokens if t.uuid == record.auto_token.uuid), None)


def _expiring_soon(tokens: Iterable[AccessToken], now: datetime) -> Iterable[AccessToken]:
    for token in tokens:
        expires = token.expires_at
        if token.is_active and expires is not None and now < expires <= now + EXPIRY_WARNING:
            yield token
