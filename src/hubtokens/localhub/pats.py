"""Making a new personal access token: the one place a plaintext secret exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from hubtokens.localhub.credentials import hash_secret, new_pat_secret
from hubtokens.localhub.store import Store, TokenRow

CLIENT_ID = "HUB"


@dataclass(frozen=True)
class NewToken:
    label: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    generated_by: str = "manual"
    creator_ip: str = "127.0.0.1"
    creator_ua: str = ""
    is_active: bool = True
    last_used: datetime | None = None


def mint(store: Store, user_uuid: str, spec: NewToken) -> tuple[TokenRow, str]:
    """Store the token (hash only) and return it with its plaintext secret."""
    secret = new_pat_secret()
    row = TokenRow(
        uuid=str(uuid.uuid4()),
        user_uuid=user_uuid,
        secret_hash=hash_secret(secret),
        client_id=CLIENT_ID,
        creator_ip=spec.creator_ip,
        creator_ua=spec.creator_ua,
        created_at=spec.created_at,
        last_used=spec.last_used,
        generated_by=spec.generated_by,
        is_active=spec.is_active,
        label=spec.label,
        scopes=spec.scopes,
        expires_at=spec.expires_at,
    )
    store.insert_token(row)
    return row, secret
