"""What of the hub's own words may reach a person."""

from __future__ import annotations

import secrets

import pytest

from hubtokens.core.hub.errormap import safe_text


@pytest.mark.parametrize("text", ["Rate limit exceeded", "  token label too long  ", "Not found."])
def test_short_plain_messages_are_quoted(text: str) -> None:
    assert safe_text(text) == text.strip()


def _unsafe() -> list[object]:
    return [
        None,
        42,
        "",
        "x" * 161,
        "two\nlines",
        "see https://hub.docker.com/v2/access-tokens?page=2",
        f"bad token dckr_pat_{secrets.token_urlsafe(20)}",
        f"Bearer {secrets.token_urlsafe(8)}",
        f"session {secrets.token_urlsafe(40)} rejected",
        "<html>\x00</html>",
    ]


# Numbered ids: a value's text would put its made-up secrets into pytest's cache and reports.
@pytest.mark.parametrize("value", _unsafe(), ids=lambda _value: "case")
def test_unsafe_messages_are_not(value: object) -> None:
    assert safe_text(value) is None
