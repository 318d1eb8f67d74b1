"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, SHA-1, 6 digits, 30 s)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """A fresh base32 secret (160 bits, the RFC 4226 recommendation)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def decode_secret(secret: str) -> bytes:
    """The key bytes; tolerant of lower case, spaces and missing padding as apps print them."""
    cleaned = secret.replace(" ", "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error as exc:
        raise ValueError("the TOTP secret is not valid base32") from exc
    if not key:
        raise ValueError("the TOTP secret is empty")
    return key


def code_at(secret: str, when: datetime) -> str:
    return _hotp(decode_secret(secret), int(when.timestamp()) // STEP_SECONDS)


def verify(secret: str, code: str, now: datetime) -> bool:
    """Accept the current step and one either side, for clock skew and typing time."""
    key = decode_secret(secret)
    step = int(now.timestamp()) // STEP_SECONDS
    return any(hmac.compare_digest(_hotp(key, step + skew), code) for skew in (-1, 0, 1))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI authenticator apps import (Key Uri Format)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret.rstrip("="), "issuer": issuer})
    return f"otpauth://totp/{label}?{query}"


def _hotp(key: bytes, counter: int) -> str:
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)
