"""Unsigned JWTs made up at run time, for servers and readers that do not verify them."""

from __future__ import annotations

import base64
import json
import secrets


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def unsigned_jwt(claims: dict[str, object]) -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}.{secrets.token_urlsafe(16)}"
