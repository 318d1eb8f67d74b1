"""Whatever arrives on stdin: exit 0 or 1, a message with every 1, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.credhelper.conftest import Helper

pytestmark = pytest.mark.secret_service

# Random bytes, and text near the shapes the helper parses (URLs, JSON objects).
payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=120).map(str.encode),
    st.builds(
        lambda scheme, host, tail: f"{scheme}{host}{tail}".encode(),
        st.sampled_from(["", "http://", "https://", "HTTPS://", "//"]),
        st.text(alphabet="abcdefghij.-:[]0123456789@ /%\\", max_size=40),
        st.sampled_from(["", "/", "/v1/", "/v2/x?y#z"]),
    ),
    st.dictionaries(
        st.sampled_from(["ServerURL", "Username", "Secret", "serverurl", "x"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
        max_size=4,
    ).map(lambda d: repr(d).replace("'", '"').encode()),
)


@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_any_input_gets_a_clear_answer(helper: Helper, action: str) -> None:
    token = helper.sign_in()
    helper.add_registry()
    keys_before = set(helper.items())

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(payloads)
    def check(data: bytes) -> None:
        result = helper(action, stdin=data)
        assert result.returncode in (0, 1), result
        if result.returncode == 1:
            assert result.stdout.strip(), result
        assert "Traceback" not in result.stdout + result.stderr
        assert "unexpected error" not in result.stdout, (data, result.stdout)

    check()
    items = helper.items()
    assert items["auto-token:alice@https://hub.docker.com"] == token
    # Only a well-formed `store` for one of our servers may add an item, and then its own kind.
    assert all(key.startswith("docker-login:") for key in set(items) - keys_before)
