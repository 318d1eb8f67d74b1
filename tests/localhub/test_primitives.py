"""The building blocks on their own: TOTP, JWT, secrets, budgets, fault specs."""

from __future__ import annotations

import base64
import re
import secrets
import string
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from hubtokens.localhub import Fault, jwt, totp
from hubtokens.localhub.credentials import (
    hash_password,
    looks_like_pat,
    new_pat_secret,
    verify_password,
)
from hubtokens.localhub.ratelimit import RateLimiter, retry_after_headers

# RFC 6238 appendix B, SHA-1: the key is the ASCII string "12345678901234567890".
_RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_totp_matches_rfc_6238_vectors(unix_time: int, eight_digits: str) -> None:
    # The RFC lists 8-digit codes; a 6-digit code is the same number modulo 10^6.
    assert totp.code_at(_RFC_SECRET, datetime.fromtimestamp(unix_time, UTC)) == eight_digits[2:]


def test_totp_accepts_one_step_either_side_only() -> None:
    secret = totp.new_secret()
    now = datetime(2026, 1, 1, 12, 0, 15, tzinfo=UTC)
    for skew in (-30, 0, 30):
        assert totp.verify(secret, totp.code_at(secret, now + timedelta(seconds=skew)), now)
    assert not totp.verify(secret, totp.code_at(secret, now + timedelta(seconds=90)), now)


def test_totp_secret_is_forgiving_about_case_spaces_and_padding() -> None:
    secret = totp.new_secret()
    sloppy = " ".join(secret.lower()[i : i + 4] for i in range(0, len(secret), 4))
    now = datetime.now(UTC)
    assert totp.code_at(sloppy, now) == totp.code_at(secret, now)
    with pytest.raises(ValueError, match="base32"):
        totp.decode_secret("not base32!")


def test_provisioning_uri() -> None:
    uri = totp.provisioning_uri("ABCDEF", "alice", "localhub")
    assert uri == "otpauth://totp/localhub%3Aalice?secret=ABCDEF&issuer=localhub"


def test_jwt_round_trip_and_rejections() -> None:
    key = secrets.token_bytes(32)
    token = jwt.encode({"sub": "x", "exp": 200}, key)
    assert jwt.decode(token, key, now=100) == {"sub": "x", "exp": 200}
    with pytest.raises(jwt.JwtError, match="expired"):
        jwt.decode(token, key, now=200)
    with pytest.raises(jwt.JwtError, match="signature"):
        jwt.decode(token, secrets.token_bytes(32), now=100)
    with pytest.raises(jwt.JwtError, match="malformed"):
        jwt.decode("a.b", key, now=100)
    with pytest.raises(jwt.JwtError, match="malformed"):
        jwt.decode("!!!.e30.", key, now=100)


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_jwt_from_the_future_is_not_valid_yet(claim: str) -> None:
    key = secrets.token_bytes(32)
    within_skew = jwt.encode({"sub": "x", "exp": 10_000, claim: 100 + jwt.CLOCK_SKEW}, key)
    assert jwt.decode(within_skew, key, now=100)["sub"] == "x"
    for value in (100 + jwt.CLOCK_SKEW + 1, 7 * 86400, "100", 1.5):
        later = jwt.encode({"sub": "x", "exp": 10**9, claim: value}, key)
        with pytest.raises(jwt.JwtError, match="not valid yet"):
            jwt.decode(later, key, now=100)


def test_jwt_has_one_spelling_only() -> None:
    """RFC 7515's base64url: padding, the other alphabet or stray low bits are refused."""
    key = secrets.token_bytes(32)
    token = jwt.encode({"sub": "x", "exp": 200}, key)
    head, body, sig = token.split(".")
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    # 43 characters carry the 32-byte signature: the last one's lowest 2 bits are unused.
    stray = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]
    spellings = [
        f"{head}.{body}.{sig}{'=' * (-len(sig) % 4)}",
        f"{head}.{body}.{sig.replace('-', '+').replace('_', '/')}",
        f"{head}.{body}.{stray}",
        f"{head}=.{body}.{sig}" if len(head) % 4 else f"{head}==.{body}.{sig}",
    ]
    assert jwt.decode(token, key, now=100)["sub"] == "x"
    for spelling in spellings:
        if spelling == token:
            continue  # nothing to change in this token's spelling of that part
        with pytest.raises(jwt.JwtError, match="malformed"):
            jwt.decode(spelling, key, now=100)


def test_jwt_refuses_alg_none_even_without_a_signature() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"sub":"x","exp":999}').rstrip(b"=").decode()
    with pytest.raises(jwt.JwtError, match="algorithm"):
        jwt.decode(f"{header}.{payload}.", secrets.token_bytes(32), now=1)


def test_pat_secrets_have_the_hub_format() -> None:
    made = {new_pat_secret() for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(r"dckr_pat_[A-Za-z0-9_-]{27}", secret) for secret in made)
    assert all(looks_like_pat(secret) for secret in made)


def test_password_hashes_verify_and_are_salted() -> None:
    password = secrets.token_urlsafe(12)
    first, second = hash_password(password), hash_password(password)
    assert first != second
    assert verify_password(password, first)
    assert not verify_password(password + "x", first)


def test_rate_limiter_windows() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = RateLimiter(2, timedelta(minutes=1), lambda: now[0])
    first = limiter.take("a")
    assert (first.allowed, first.remaining) == (True, 1)
    assert limiter.take("a").remaining == 0
    denied = limiter.take("a")
    assert not denied.allowed and denied.remaining == 0
    assert denied.reset_at == now[0] + timedelta(minutes=1)
    assert limiter.take("b").allowed  # budgets are per key
    now[0] += timedelta(minutes=1)
    assert limiter.take("a").remaining == 1  # a fresh window


def test_retry_after_spellings() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)
    until = now + timedelta(seconds=41.5)
    assert retry_after_headers("seconds", now, until) == {"Retry-After": "42"}
    date = retry_after_headers("http-date", now, until)["Retry-After"]
    assert parsedate_to_datetime(date) == datetime(2026, 1, 1, 12, 0, 42, tzinfo=UTC)
    unix = retry_after_headers("x-retry-after", now, until)
    assert unix == {
        "X-Retry-After": str(int(datetime(2026, 1, 1, 12, 0, 42, tzinfo=UTC).timestamp()))
    }


def test_fault_parse() -> None:
    fault = Fault.parse("error:value=502,rate=0.5,count=3,path=/v2/access-tokens,method=post")
    assert fault == Fault(
        "error", rate=0.5, count=3, path="/v2/access-tokens", method="POST", value=502
    )
    assert Fault.parse("drop") == Fault("drop")
    for bad in ("explode", "error:colour=red", "error:rate=2", "latency:value=soon", "drop:count"):
        with pytest.raises(ValueError, match="fault"):
            Fault.parse(bad)
