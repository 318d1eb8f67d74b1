"""What a Docker access token looks like, and how a found one is shown without showing it.

A token is ``dckr_pat_`` or ``dckr_oat_`` followed by 27 to 32 of ``[A-Za-z0-9_-]``, bounded on
both sides: a token character right before it or right after it means it is part of something
longer (a look-alike), and nothing in it matches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hubtokens.core.secret import Secret

TOKEN_PREFIXES = (b"dckr_pat_", b"dckr_oat_")
_TOKEN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# No lookbehind: a pattern that starts with a literal lets re skip ahead as fast as bytes.find,
# and the byte before, rarely needed, is checked in Python. A token that fails only because of
# the byte before it cannot hide another one: its tail ends at a non-token byte, and any
# "dckr_" inside it has a token byte before it.
_TOKEN = re.compile(rb"dckr_(pat|oat)_[A-Za-z0-9_-]{27,32}(?![A-Za-z0-9_-])")
MAX_TOKEN_LENGTH = len(b"dckr_pat_") + 32
# Fixed, so a password has one fingerprint everywhere; scrypt's cost is what makes guessing slow.
_PASSWORD_SALT = b"hubtokens scan: password fingerprint"


@dataclass(frozen=True, slots=True)
class TokenMatch:
    start: int  # byte offset in the buffer
    end: int
    kind: str  # "pat" | "oat"
    secret: Secret


def find_tokens(data: bytes | bytearray, end: int | None = None) -> Iterator[TokenMatch]:
    """Every bounded token in ``data`` (up to ``end``: a buffer filled that far), in order."""
    for found in _TOKEN.finditer(data, 0, len(data) if end is None else end):
        start, stop = found.span()
        if start == 0 or data[start - 1] not in _TOKEN_CHARS:
            kind = found.group(1).decode("ascii")
            yield TokenMatch(start, stop, kind, Secret(data[start:stop].decode("ascii")))


def might_hold_token(data: bytes | bytearray, end: int) -> bool:
    """A quick first look at ``data[:end]``: False means no token; True, use find_tokens."""
    return _TOKEN.search(data, 0, end) is not None


def is_token(text: str) -> bool:
    """Whether ``text`` is exactly one token and nothing else."""
    data = text.encode("utf-8", "surrogateescape")
    return any(m.start == 0 and m.end == len(data) for m in find_tokens(data))


def line_number(data: bytes | bytearray, offset: int) -> int:
    """The 1-based line of ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def with_lines(
    data: bytes | bytearray, matches: Iterable[TokenMatch], lines_before: int = 0
) -> Iterator[tuple[int, TokenMatch]]:
    """Each match (in order) with its 1-based line, ``lines_before`` newlines ahead of ``data``:
    the newlines are counted from one match to the next, not again from the start for each."""
    line, counted = lines_before + 1, 0
    for match in matches:
        line += data.count(b"\n", counted, match.start)
        counted = match.start
        yield line, match


def mask(secret: str) -> str:
    """A token's public prefix and last 4 characters (``dckr_pat_…Ab3x``); nothing of anything
    else, a password (``…``): its last characters would help guess the rest."""
    if not is_token(secret):
        return "…"
    return f"{secret[: len(TOKEN_PREFIXES[0])]}…{secret[-4:]}"


def fingerprint(secret: str) -> str:
    """A short, stable name for a secret (12 hex digits): a token's SHA-256; a password's
    scrypt, slow on purpose, since a list of common passwords turns a SHA-256 back in moments."""
    data = secret.encode("utf-8", "surrogateescape")
    if is_token(secret):
        return hashlib.sha256(data).hexdigest()[:12]
    return hashlib.scrypt(data, salt=_PASSWORD_SALT, n=2**14, r=8, p=1, dklen=6).hex()
