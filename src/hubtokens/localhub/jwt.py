"""Compact JWTs signed with HS256 (RFC 7519 / RFC 7515), nothing else accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT"}


CLOCK_SKEW = 60  # seconds: how far in the future ``iat``/``nbf`` may be, as clocks differ


class JwtError(Exception):
    """The token is malformed, not HS256, wrongly signed, expired or not valid yet."""


def encode(claims: dict[str, Any], key: bytes) -> str:
    signing_input = _b64(json.dumps(_HEADER).encode()) + "." + _b64(json.dumps(claims).encode())
    return signing_input + "." + _b64(_sign(signing_input, key))


def decode(token: str, key: bytes, *, now: int) -> dict[str, Any]:
    """The verified claims; ``now`` (unix seconds) decides expiry and "not valid yet"."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("malformed token")
    header = _json_object(parts[0])
    # Checked before the signature so "none" and RS/ES confusion never reach the HMAC.
    if header.get("alg") != "HS256":
        raise JwtError("unsupported signing algorithm")
    signature = _unb64(parts[2])
    if not hmac.compare_digest(signature, _sign(parts[0] + "." + parts[1], key)):
        raise JwtError("bad signature")
    claims = _json_object(parts[1])
    exp = _seconds(claims.get("exp"))
    if exp is None or exp <= now:
        raise JwtError("token expired")
    for claim in ("nbf", "iat"):
        if claim in claims:
            since = _seconds(claims[claim])
            if since is None or since > now + CLOCK_SKEW:
                raise JwtError("token not valid yet")
    return claims


def _seconds(value: object) -> int | None:
    """A NumericDate as this hub writes them (whole seconds), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sign(signing_input: str, key: bytes) -> bytes:
    return hmac.new(key, signing_input.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict base64url (RFC 7515): no padding, no ``+`` or ``/``, no stray bits, so that a
    token has exactly one spelling."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise JwtError("malformed token") from exc
    if _b64(raw) != text:
        raise JwtError("malformed token")
    return raw


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64(segment))
    except ValueError as exc:
        raise JwtError("malformed token") from exc
    if not isinstance(value, dict):
        raise JwtError("malformed token")
    return value
