"""How the sign-in service keeps the secrets it hands out (device codes, refresh tokens):
only as a hash to look them up by."""

from __future__ import annotations

import hashlib


def secret_hash(secret: str) -> str:
    """SHA-256 hex: these secrets are long and random, so no salt or stretching is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()
