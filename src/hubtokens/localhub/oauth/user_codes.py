"""User codes as a person types them: ``XXXX-XXXX`` from consonants only."""

from __future__ import annotations

import secrets

# Auth0's alphabet: no vowels (no words spelled by accident), no look-alikes (0/O, 1/I/L...).
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_HALF = 4


def new_user_code() -> str:
    """20^8 (about 2^34.6) codes; with a 15-minute lifetime and throttled guessing, plenty."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * _HALF))
    return chars[:_HALF] + "-" + chars[_HALF:]


def normalize(text: str) -> str | None:
    """The code in its canonical spelling, forgiving case, spaces and dashes; None when it
    cannot be a code at all."""
    chars = "".join(ch for ch in text.upper() if ch not in " -")
    if len(chars) != 2 * _HALF or any(ch not in ALPHABET for ch in chars):
        return None
    return chars[:_HALF] + "-" + chars[_HALF:]
