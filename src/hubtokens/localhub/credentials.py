"""Password and personal-access-token secrets: generation and one-way hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PAT_PREFIX = "dckr_pat_"
PAT_BODY_LENGTH = 27
# token_urlsafe(20) is base64url of 20 bytes without padding: exactly 27 characters.
_PAT_ENTROPY_BYTES = 20
# Modest on purpose: a throwaway local hub that tests start many times a second.
_PBKDF2_ITERATIONS = 10_000
_PBKDF2_SCHEME = "pbkdf2_sha256"


def new_pat_secret() -> str:
    return PAT_PREFIX + secrets.token_urlsafe(_PAT_ENTROPY_BYTES)


def looks_like_pat(secret: str) -> bool:
    return secret.startswith(PAT_PREFIX)


def hash_secret(secret: str) -> str:
    """How the hub keeps the secrets it hands out (PATs, device codes, refresh tokens): only a
    hash to look them up by. They are long random strings, so a plain SHA-256 is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_hex(16)
    digest = _pbkdf2(password, salt, _PBKDF2_ITERATIONS)
    return f"{_PBKDF2_SCHEME}${_PBKDF2_ITERATIONS}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    scheme, iterations, salt, digest = stored.split("$")
    if scheme != _PBKDF2_SCHEME:
        return False
    return hmac.compare_digest(_pbkdf2(password, salt, int(iterations)), digest)


def _pbkdf2(password: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
