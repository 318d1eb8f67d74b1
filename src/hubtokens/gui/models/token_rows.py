"""One table row per access token, with every cell's text, tooltip and sort key worked out
once, off the GUI thread, so the model's ``data()`` is a tuple lookup (10,000 rows stay quick).
A ``RowSet`` is a whole listing, sorted and counted there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from hubtokens.core.hub.models import AccessToken, TokenSource, TokenStatus
from hubtokens.core.keeper.policy import BUDGET_IN_WORDS
from hubtokens.core.timefmt import exact, relative, relative_or_never

#: Unused for this long, a token is stale: a candidate for removal.
STALE_AFTER = timedelta(days=90)
#: A token never used is stale only once it is this old, so a new one is not flagged at once.
UNUSED_GRACE = timedelta(days=7)
#: Tokens expiring sooner than this are highlighted.
EXPIRY_WARNING = timedelta(days=7)

SortKey = str | int | float


class Column(IntEnum):
    DESCRIPTION = 0
    SCOPE = 1
    STATUS = 2
    SOURCE = 3
    CREATED = 4
    LAST_USED = 5
    EXPIRES = 6

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    Column.DESCRIPTION: "Description",
    Column.SCOPE: "Scope",
    Column.STATUS: "Status",
    Column.SOURCE: "Source",
    Column.CREATED: "Created",
    Column.LAST_USED: "Last used",
    Column.EXPIRES: "Expires",
}
_STATUS_ORDER = {TokenStatus.ACTIVE: 0, TokenStatus.INACTIVE: 1, TokenStatus.EXPIRED: 2}
_STATUS_TIPS = {
    TokenStatus.ACTIVE: "Active: it can be used to sign in.",
    TokenStatus.INACTIVE: "Inactive: it cannot be used until it is activated again.",
    TokenStatus.EXPIRED: "Expired: it no longer works and can only be deleted.",
}
THIS_DEVICE = "this device"


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A token as the table shows it. ``texts``, ``tooltips`` and ``sort_keys`` are indexed
    by ``Column``."""

    token: AccessToken
    status: TokenStatus
    source: TokenSource
    this_device: bool
    stale: bool
    expiring_soon: bool
    texts: tuple[str, ...]
    tooltips: tuple[str, ...]
    sort_keys: tuple[SortKey, ...]
    search_text: str  # casefolded description and uuid, for the filter box

    @property
    def uuid(self) -> str:
        return self.token.uuid

    @property
    def label(self) -> str:
        return self.token.label


def make_row(token: AccessToken, now: datetime, own_uuid: str | None) -> TokenRow:
    status = token.status(now)
    source = token.source
    this_device = token.uuid == own_uuid
    stale = not this_device and is_stale(token, now)
    expiring_soon = (
        status is not TokenStatus.EXPIRED
        and token.expires_at is not None
        and token.expires_at - now < EXPIRY_WARNING
    )
    scope = token.scope
    scope_text = scope.label if scope is not None else ", ".join(token.scopes) or "Unknown"
    source_text = source.value + (f" · {THIS_DEVICE}" if this_device else "")
    texts = (
        token.label,
        scope_text,
        status.value,
        source_text,
        token.created_at.strftime("%Y-%m-%d"),
        relative_or_never(token.last_used, now),
        "Never" if token.expires_at is None else relative(token.expires_at, now),
    )
    tooltips = (
        _description_tip(token),
        scope.summary if scope is not None else "An access level this app does not know.",
        _STATUS_TIPS[status],
        _source_tip(source, this_device),
        exact(token.created_at),
        _last_used_tip(token, now, stale),
        "Never expires." if token.expires_at is None else exact(token.expires_at),
    )
    sort_keys: tuple[SortKey, ...] = (
        token.label.casefold(),
        scope.rank if scope is not None else -1,
        _STATUS_ORDER[status],
        (source is TokenSource.AUTO) + this_device,
        token.created_at.timestamp(),
        token.last_used.timestamp() if token.last_used is not None else float("-inf"),
        token.expires_at.timestamp() if token.expires_at is not None else float("inf"),
    )
    return TokenRow(
        token=token,
        status=status,
        source=source,
        this_device=this_device,
        stale=stale,
        expiring_soon=expiring_soon,
        texts=texts,
        tooltips=tooltips,
        sort_keys=sort_keys,
        search_text=f"{token.label}\n{token.uuid}".casefold(),
    )


@dataclass(frozen=True, slots=True)
class SortOrder:
    column: Column
    descending: bool


@dataclass(frozen=True, slots=True)
class TokenCounts:
    total: int
    active: int
    auto: int
    stale: int

    @classmethod
    def of(cls, rows: Iterable[TokenRow]) -> TokenCounts:
        total = active = auto = stale = 0
        for row in rows:  # one pass: this runs after every change, over up to 10,000 rows
            total += 1
            active += row.status is TokenStatus.ACTIVE
            auto += row.source is TokenSource.AUTO
            stale += row.stale
        return cls(total=total, active=active, auto=auto, stale=stale)


@dataclass(frozen=True, slots=True)
class RowSet:
    """Rows in ``order``, with their counts: what a refresh hands to the table."""

    rows: tuple[TokenRow, ...]
    order: SortOrder
    counts: TokenCounts

    @classmethod
    def build(cls, rows: Iterable[TokenRow], order: SortOrder) -> RowSet:
        ordered = tuple(sort_rows(rows, order))
        return cls(ordered, order, TokenCounts.of(ordered))


def sort_rows(rows: Iterable[TokenRow], order: SortOrder) -> list[TokenRow]:
    """Stable: rows with equal keys keep their order."""
    column = order.column
    return sorted(rows, key=lambda row: row.sort_keys[column], reverse=order.descending)


def insertion_point(rows: Sequence[TokenRow], row: TokenRow, order: SortOrder) -> int:
    """Where ``row`` goes in ``rows`` (sorted by ``order``), after its equals."""
    key = row.sort_keys[order.column]
    for n, other in enumerate(rows):
        other_key = other.sort_keys[order.column]
        if (key > other_key) if order.descending else (key < other_key):  # type: ignore[operator]
            return n
    return len(rows)


def is_stale(token: AccessToken, now: datetime) -> bool:
    """Unused for ``STALE_AFTER``, or never used since it was created (after a short grace)."""
    if token.last_used is None:
        return now - token.created_at >= UNUSED_GRACE
    return now - token.last_used >= STALE_AFTER


def _description_tip(token: AccessToken) -> str:
    lines = [token.label, f"ID: {token.uuid}"]
    origin = " · ".join(part for part in (token.creator_ip, token.creator_ua) if part)
    if origin:
        lines.append(f"Created from {origin}")
    return "\n".join(lines)


def _source_tip(source: TokenSource, this_device: bool) -> str:
    if this_device:
        return (
            "This device's token, kept by Hub Tokens for the docker CLI. If it is deleted, "
            f"Hub Tokens makes a new one automatically ({BUDGET_IN_WORDS}), or at once with "
            "Sync now."
        )
    if source is TokenSource.AUTO:
        return "Created automatically by a sign-in (Docker Desktop or Hub Tokens on a device)."
    return "Created by a person."


def _last_used_tip(token: AccessToken, now: datetime, stale: bool) -> str:
    if token.last_used is None:
        tip = "Never used."
        if stale:
            tip += f" Stale: unused since it was created {relative(token.created_at, now)}."
        return tip
    tip = exact(token.last_used)
    if stale:
        tip += f"\nStale: not used for {STALE_AFTER.days} days or more."
    return tip
