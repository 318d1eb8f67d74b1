"""Whatever JSON the hub sends, parsing ends in a model or a ProtocolError, nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hubtokens.core.errors import ProtocolError
from hubtokens.core.hub.models import AccessToken, TokenPage

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# timestamps near and far from the formats the hub uses, to reach the date parsing
times = (
    st.datetimes().map(lambda d: d.isoformat() + "Z")
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "", "Z"])
    | st.text(max_size=30)
)
token_like = st.fixed_dictionaries(
    {},
    optional={
        "uuid": st.text(max_size=36) | json_values,
        "token_label": st.text(max_size=20) | json_values,
        "scopes": st.lists(st.text(max_size=16), max_size=3) | json_values,
        "is_active": st.booleans() | json_values,
        "created_at": times | json_values,
        "last_used": times | json_values,
        "expires_at": times | json_values,
        "generated_by": st.text(max_size=8) | json_values,
        "client_id": json_values,
    },
)
page_like = st.fixed_dictionaries(
    {},
    optional={
        "count": st.integers() | json_values,
        "next": st.text(max_size=40) | json_values,
        "previous": json_values,
        "active_count": json_values,
        "results": st.lists(token_like | json_values, max_size=4) | json_values,
    },
)


def _parses_or_protocol_error(parse: Any, data: object) -> None:
    with contextlib.suppress(ProtocolError):
        parse(data)


@settings(max_examples=200)
@given(token_like | json_values)
def test_access_token_from_any_json(data: object) -> None:
    _parses_or_protocol_error(AccessToken.from_json, data)


@settings(max_examples=200)
@given(page_like | json_values)
def test_token_page_from_any_json(data: object) -> None:
    _parses_or_protocol_error(TokenPage.from_json, data)


def test_page_without_count_parses() -> None:
    page = TokenPage.from_json(
        {"next": "https://hub.docker.com/v2/access-tokens?page=2", "results": []}
    )
    assert page.count is None
    assert page.next == "https://hub.docker.com/v2/access-tokens?page=2"
