"""The token window's work, run on the task pool (never on the GUI thread): every function
reads the keychain and talks to the Hub, and returns immutable results with rows ready for
the table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from hubtokens.core.errors import (
    AuthenticationFailed,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    SessionExpired,
)
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import AccessToken, CreatedToken, Scope, SessionToken
from hubtokens.core.keeper import Keeper
from hubtokens.core.settings import AccountRecord
from hubtokens.gui.models.token_rows import RowSet, SortOrder, TokenRow, make_row
from hubtokens.gui.tasks import CancelToken

Progress = Callable[[int, int], None]

#: Errors that mean "sign in again (with a password)": every further call would fail alike.
SESSION_ERRORS = (SessionExpired, NotSignedIn, AuthenticationFailed, PermissionDenied)


@dataclass(frozen=True, slots=True)
class HubAccess:
    """What a task needs to reach the account's tokens (all safe to use from any thread)."""

    keeper: Keeper
    client_for: Callable[[str], HubClient]
    hub_url: str
    clock: Callable[[], datetime]

    def connect(self) -> tuple[HubClient, SessionToken]:
        """The client and the management session (from the keychain), or a session error."""
        session = self.keeper.management_session(self.hub_url)
        return self.client_for(self.hub_url), session

    def account(self) -> AccountRecord:
        record = self.keeper.account(self.hub_url)
        if record is None:
            raise NotSignedIn(f"not signed in to {self.hub_url}")
        return record

    def row_maker(self, record: AccountRecord) -> Callable[[AccessToken], TokenRow]:
        """Builds rows as of now, marking this device's auto token."""
        own = record.auto_token.uuid if record.auto_token is not None else None
        now = self.clock()
        return lambda token: make_row(token, now, own)


@dataclass(frozen=True, slots=True)
class Listing:
    account: str
    rows: RowSet
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class NewTokenRequest:
    description: str
    scope: Scope
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Created:
    """A new token and its secret. The secret lives only as long as the reveal dialog."""

    account: str
    created: CreatedToken
    row: TokenRow
    replaces: TokenRow | None = None


class BatchAction(Enum):
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    DELETE = "delete"

    @property
    def past(self) -> str:
        return {"activate": "activated", "deactivate": "deactivated", "delete": "deleted"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class Failure:
    label: str
    error: Exception


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a bulk action did, token by token: the honest account of a partial failure."""

    action: BatchAction
    requested: int
    updated: tuple[TokenRow, ...] = ()  # activated or deactivated, as the hub now lists them
    removed: tuple[str, ...] = ()  # uuids of deleted tokens
    failures: tuple[Failure, ...] = ()
    stopped: bool = False  # cancelled, or a session error made the rest pointless

    @property
    def done(self) -> int:
        return len(self.updated) + len(self.removed)


def list_rows(
    access: HubAccess, order: SortOrder, *, on_progress: Progress, cancel: CancelToken
) -> Listing | None:
    """Every token as table rows in ``order``, the table's order when the listing began;
    None when a newer listing replaced this one meanwhile."""
    client, session = access.connect()
    tokens = client.list_tokens(session, on_progress=on_progress)
    if cancel.cancelled:  # nobody will look at these rows: do not format them
        return None
    record = access.account()
    # Formatted, sorted and counted here, not on the GUI thread: 10,000 rows take a while.
    rows = RowSet.build(map(access.row_maker(record), tokens), order)
    return Listing(record.account, rows, access.clock())


def create(
    access: HubAccess, request: NewTokenRequest, replaces: TokenRow | None = None
) -> Created:
    client, session = access.connect()
    created = client.create_token(session, request.description, [request.scope], request.expires_at)
    record = access.account()
    return Created(record.account, created, access.row_maker(record)(created.token), replaces)


def rename(access: HubAccess, uuid: str, description: str) -> TokenRow:
    client, session = access.connect()
    token = client.update_token(session, uuid, label=description)
    return access.row_maker(access.account())(token)


def run_batch(
    access: HubAccess,
    action: BatchAction,
    targets: Sequence[TokenRow],
    *,
    on_progress: Progress,
    cancel: CancelToken,
) -> BatchResult:
    """One token after another, so a failure is reported per token and progress is exact."""
    client, session = access.connect()
    to_row = access.row_maker(access.account())
    updated: list[TokenRow] = []
    removed: list[str] = []
    failures: list[Failure] = []
    stopped = False
    for n, target in enumerate(targets):
        if cancel.cancelled:
            stopped = True
            break
        try:
            if action is BatchAction.DELETE:
                # already gone is what deleting wanted
                with contextlib.suppress(NotFound):
                    client.delete_token(session, target.uuid)
                removed.append(target.uuid)
                if target.this_device:  # the app then shows it gone and when it comes back
                    access.keeper.note_auto_token_deleted(access.hub_url, target.uuid)
            else:
                active = action is BatchAction.ACTIVATE
                updated.append(to_row(client.update_token(session, target.uuid, is_active=active)))
        except SESSION_ERRORS as exc:
            failures.append(Failure(target.label, exc))
            stopped = True
            break
        except Exception as exc:  # reported per token; the others still get their turn
            failures.append(Failure(target.label, exc))
        on_progress(n + 1, len(targets))
    return BatchResult(
        action, len(targets), tuple(updated), tuple(removed), tuple(failures), stopped
    )
