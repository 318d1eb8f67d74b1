"""The JSON shape of a personal access token, exactly as the Hub's API returns it."""

from __future__ import annotations

from typing import Any

from hubtokens.localhub.store import TokenRow
from hubtokens.localhub.times import format_api_time


def token_json(row: TokenRow, secret: str = "") -> dict[str, Any]:
    """``secret`` is filled in only in the creation response; everywhere else it is ""."""
    return {
        "uuid": row.uuid,
        "client_id": row.client_id,
        "creator_ip": row.creator_ip,
        "creator_ua": row.creator_ua,
        "created_at": format_api_time(row.created_at),
        "last_used": None if row.last_used is None else format_api_time(row.last_used),
        "generated_by": row.generated_by,
        "is_active": row.is_active,
        "token": secret,
        "token_label": row.label,
        "scopes": list(row.scopes),
        "expires_at": None if row.expires_at is None else format_api_time(row.expires_at),
    }
