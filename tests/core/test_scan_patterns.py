"""The token pattern: bounded on both sides, 27-32 characters, and the masked/fingerprint forms."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtokens.core.scan.patterns import find_tokens, fingerprint, is_token, line_number, mask
from tests.support.git_repo import make_token

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
# The definition, spelled the slow and obvious way (with a lookbehind), to check the fast one.
REFERENCE = re.compile(rb"(?<![A-Za-z0-9_-])dckr_(pat|oat)_[A-Za-z0-9_-]{27,32}(?![A-Za-z0-9_-])")


def found(data: bytes) -> list[bytes]:
    return [data[m.start : m.end] for m in find_tokens(data)]


@pytest.mark.parametrize("kind", ["pat", "oat"])
@pytest.mark.parametrize("length", range(27, 33))
def test_every_allowed_length_of_both_kinds_is_found(kind: str, length: int) -> None:
    token = make_token(kind, length)
    matches = list(find_tokens(f"key: {token}\n".encode()))
    assert [(m.start, m.end, m.kind) for m in matches] == [(5, 5 + len(token), kind)]
    assert matches[0].secret.reveal() == token


@pytest.mark.parametrize("length", [1, 20, 26, 33, 40])
def test_a_tail_too_short_or_too_long_is_not_a_token(length: int) -> None:
    tail = (TOKEN_CHARS * 2)[:length]
    assert found(f"x dckr_pat_{tail} y".encode()) == []


@pytest.mark.parametrize("neighbour", list("aZ0_-"))
def test_a_token_character_before_or_after_makes_it_a_look_alike(neighbour: str) -> None:
    before = neighbour + make_token(length=27)
    after = make_token(length=32) + neighbour
    assert found(f"{before} {after}".encode()) == []


@pytest.mark.parametrize("neighbour", [" ", '"', "'", "=", ":", "/", ".", "\n", "\t", "\0", "é"])
def test_any_other_character_around_bounds_a_token(neighbour: str) -> None:
    token = make_token()
    data = f"{neighbour}{token}{neighbour}".encode()
    assert found(data) == [token.encode()]


def test_tokens_at_the_very_start_and_end_of_the_data() -> None:
    first, last = make_token(), make_token("oat", 32)
    assert found(f"{first}\n{last}".encode()) == [first.encode(), last.encode()]


@pytest.mark.parametrize("prefix", ["dckr_pet_", "dckr_pat", "dckr-pat_", "DCKR_PAT_", "dkr_pat_"])
def test_a_wrong_prefix_is_not_a_token(prefix: str) -> None:
    assert found(f" {prefix}{'Ab9' * 10} ".encode()) == []


@given(
    st.lists(
        st.one_of(
            st.sampled_from([b"dckr_pat_", b"dckr_oat_", b"dckr_", b"x", b"-", b" ", b"\n"]),
            st.text(alphabet=TOKEN_CHARS, min_size=20, max_size=40).map(str.encode),
            st.binary(max_size=4),
        ),
        max_size=12,
    )
)
def test_the_fast_search_finds_exactly_what_the_definition_says(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert found(data) == [m.group(0) for m in REFERENCE.finditer(data)]


def test_is_token_means_exactly_one_token_and_nothing_else() -> None:
    token = make_token()
    assert is_token(token)
    assert not is_token(token + " ")
    assert not is_token("x" + token)
    assert not is_token("hunter2")


def test_line_numbers_are_one_based() -> None:
    data = b"a\nb\nc"
    assert [line_number(data, at) for at in (0, 2, 4)] == [1, 2, 3]


def test_mask_shows_the_prefix_and_the_last_four_characters_only() -> None:
    token = make_token(length=30)
    assert mask(token) == token[:9] + "…" + token[-4:]
    assert mask("a-long-password") == "…"  # nothing of a password: its tail helps guess it
    assert mask("short") == "…"
    assert mask(token + "x" * 5) == "…"  # too long for a token: a password


def test_fingerprint_is_stable_and_does_not_reveal_the_secret() -> None:
    token = make_token()
    assert fingerprint(token) == hashlib.sha256(token.encode()).hexdigest()[:12]
    assert fingerprint(token) != fingerprint(make_token())


def test_a_password_fingerprint_is_a_slow_salted_hash_not_its_sha256() -> None:
    password = "correct-horse-battery"
    shown = fingerprint(password)
    assert len(shown) == 12 and int(shown, 16) >= 0
    assert shown == fingerprint(password) != fingerprint(password + "!")
    plain = password.encode()
    assert shown not in {
        hashlib.sha256(plain).hexdigest()[:12],
        hashlib.sha1(plain).hexdigest()[:12],
        hashlib.md5(plain).hexdigest()[:12],
    }


def test_a_match_never_shows_its_secret_in_its_repr() -> None:
    token = make_token()
    (match,) = find_tokens(token.encode())
    assert token not in repr(match)
    assert token[9:] not in str(match)
