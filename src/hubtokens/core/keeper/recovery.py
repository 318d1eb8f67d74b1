"""After a crash: finish or undo a create that a killed run left half done, and keep one auto
token per device.

A create records its intent (``pending_create``) before anything reaches the hub, so the next
run knows to look. If the keychain already holds the new token's secret, the token is kept;
otherwise whatever the create left on the hub is an orphan and is deleted.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    NotFound,
    PermissionDenied,
    RateLimited,
    VaultError,
)
from hubtokens.core.hub.models import AccessToken, SessionToken
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.policy import CreateReason, backoff_until
from hubtokens.core.keeper.reports import create_reason
from hubtokens.core.labels import is_auto_label
from hubtokens.core.settings import AccountRecord, AutoTokenRecord, PendingCreate

logger = logging.getLogger(__name__)

#: How long after its start a web create's token may appear on the hub: a token the Hub
#: generated in that window, unlabelled and unknown before, is the one a killed run left.
WEB_CREATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Adoption:
    """What checking an interrupted create found: the record, the token kept (if it was) and
    why it had been created, strays deleted, and whether the clean-up must wait (the hub could
    not be asked)."""

    record: AccountRecord
    token: AccessToken | None = None
    reason: CreateReason | None = None
    deleted: tuple[str, ...] = ()
    clean_up_later: bool = False


class CrashRecovery:
    def __init__(self, parts: KeeperParts) -> None:
        self._parts = parts

    def delete_strays(
        self, record: AccountRecord, session: SessionToken, keep: str | None
    ) -> tuple[str, ...]:
        """Delete this device's auto tokens other than ``keep`` (one token per device), and the
        token an interrupted web create left unlabelled."""
        client = self._parts.client_for(record.hub_url)
        deleted = []
        for token in client.list_tokens(session):
            if token.uuid != keep and self._is_ours(record, token):
                with contextlib.suppress(NotFound):  # already gone is what we wanted
                    client.delete_token(session, token.uuid)
                deleted.append(token.uuid)
        return tuple(deleted)

    def _is_ours(self, record: AccountRecord, token: AccessToken) -> bool:
        pending = record.pending_create
        labels = {
            self._parts.label,
            record.auto_token.label if record.auto_token is not None else "",
            pending.label if pending is not None else "",
        }
        # Only our own labels: a token that keeps the Hub's label may be another device's,
        # unless it is the one recorded here (its relabel failed, or the hub would not show it).
        ours_by_label = token.label in labels and is_auto_label(token.label)
        recorded = record.auto_token is not None and token.uuid == record.auto_token.uuid
        made_by_pending = pending is not None and token.uuid == pending.created_uuid
        return ours_by_label or recorded or made_by_pending or _left_by_web_create(pending, token)

    def relabel(
        self, record: AccountRecord, session: SessionToken, token: AccessToken, now: datetime
    ) -> tuple[AccessToken, datetime | None]:
        """The token with this device's label, so the overview tells devices apart (the Hub
        names the tokens it generates for a web session), and the hub's Retry-After if it
        answered 429. When the hub refuses, the token keeps its label: it works either way,
        and the keeper goes by its uuid."""
        if token.label == self._parts.label:
            return token, None
        client = self._parts.client_for(record.hub_url)
        try:
            return client.update_token(session, token.uuid, label=self._parts.label), None
        except RateLimited as exc:  # its Retry-After holds for every later request
            logger.info("the token keeps the Hub's label for now: %s", exc.message)
            return token, backoff_until(exc.retry_at, now)
        except HubError as exc:
            logger.info("the token keeps the Hub's label: %s", exc.message)
            return token, None

    def clean_up(
        self, record: AccountRecord, session: SessionToken, now: datetime
    ) -> tuple[AccountRecord, tuple[str, ...]]:
        """A create was interrupted: whatever it left on the hub is an orphan."""
        keep = record.auto_token.uuid if record.auto_token is not None else None
        try:
            deleted = self.delete_strays(record, session, keep)
        except RateLimited as exc:
            logger.info("orphan clean-up postponed: %s", exc.message)
            record = replace(record, not_before=backoff_until(exc.retry_at, now))
            return record, ()
        except HubError as exc:
            logger.info("orphan clean-up postponed: %s", exc.message)
            return record, ()
        record = replace(record, pending_create=None)
        self._parts.records.save(record)
        return record, deleted

    def adopt_interrupted_create(
        self, record: AccountRecord, session: SessionToken, now: datetime
    ) -> Adoption:
        """The last run died after the hub created a token and before recording it. If the
        keychain already holds that token's secret, keep the token (a working one, which the
        docker CLI may be using) instead of deleting it and waiting for the budget to allow
        another."""
        pending = record.pending_create
        assert pending is not None and pending.created_uuid is not None
        client = self._parts.client_for(record.hub_url)
        try:
            secret = self._parts.vault.get_auto_token(record.hub_url, record.account)
            signed_in = None if secret is None else client.auth_token(record.account, secret)
            if not isinstance(signed_in, SessionToken):
                return Adoption(record)
            if signed_in.pat_uuid not in (None, pending.created_uuid):
                # It signs in, but as another token: a PAT that a PAT sign-in left in the
                # keychain, which the new token's secret never replaced.
                return Adoption(record)
            token = client.get_token(session, pending.created_uuid)
        except (AuthenticationFailed, PermissionDenied, NotFound):
            return Adoption(record)  # not the new token's secret, or no new token: clean up
        except RateLimited as exc:  # its Retry-After holds for everything, the create too
            until = backoff_until(exc.retry_at, now)
            return Adoption(replace(record, not_before=until), clean_up_later=True)
        except (VaultError, HubError) as exc:
            logger.info("interrupted create not checked: %s", exc.message)
            return Adoption(record, clean_up_later=True)
        if not token.is_active or token.is_expired(now):
            return Adoption(record)
        try:
            deleted = self.delete_strays(record, session, keep=token.uuid)
        except HubError as exc:
            logger.info("interrupted create not adopted: %s", exc.message)
            return Adoption(record, clean_up_later=True)
        # A web create killed before its relabel left the Hub's label on the token.
        token, retry_at = self.relabel(record, session, token, now)
        record = replace(
            record,
            auto_token=AutoTokenRecord(token.uuid, token.label, token.created_at),
            pending_create=None,
            not_before=retry_at or record.not_before,
        )
        self._parts.records.save(record)
        return Adoption(record, token, create_reason(pending.reason), deleted)


def _left_by_web_create(pending: PendingCreate | None, token: AccessToken) -> bool:
    """An auto-generated token that a web create of this device may have made before it was
    killed: not on the hub when the create started, made in its window, and still carrying the
    Hub's own label (every Hub Tokens device relabels its token at once). A Docker Desktop
    sign-in elsewhere in the same minutes could match too; Docker Desktop makes its token again
    when used, and the device flow makes that rare."""
    if pending is None or pending.known_before is None or token.uuid in pending.known_before:
        return False
    return (
        token.generated_by != "manual"
        and pending.started_at - timedelta(minutes=1)
        <= token.created_at
        <= pending.started_at + WEB_CREATE_WINDOW
        and not is_auto_label(token.label)
    )
