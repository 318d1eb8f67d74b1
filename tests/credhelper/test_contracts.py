"""What the helper shares with the app without importing it: names, paths, JSON, imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubtokens.core import dockerconfig
from hubtokens.core.hub.urls import DEFAULT_HUB_URL
from hubtokens.core.paths import AppPaths
from hubtokens.core.vault import SERVICE, vault_key
from hubtokens.credhelper import fastjson, files, keychain
from tests.credhelper.conftest import Helper

# --- names and paths -------------------------------------------------------------------------


def test_item_names_are_the_vaults() -> None:
    assert keychain.SERVICE == SERVICE
    for hub in ("https://hub.docker.com", "http://127.0.0.1:5000/"):
        assert keychain.item_key(keychain.AUTO_TOKEN, "alice", hub) == vault_key(
            "auto-token", hub, "alice"
        )


def test_docker_hub_is_answered_by_the_default_hub() -> None:
    assert dockerconfig.DOCKER_HUB_HUB_URL == DEFAULT_HUB_URL


@pytest.mark.parametrize(
    "environ",
    [
        {"HUBTOKENS_HOME": "/somewhere/home"},
        {"HUBTOKENS_HOME": "~/portable"},
        {"XDG_CONFIG_HOME": "/xdg/config"},
        {"XDG_CONFIG_HOME": "   "},
        {},
    ],
)
def test_config_dir_is_the_apps(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # platformdirs reads os.environ, so the whole environment is the test's.
    for name in ("HUBTOKENS_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", "/home/someone")
    app = AppPaths.default()
    assert Path(files.config_dir(environ)) == app.config_dir
    assert app.settings_file.name == files.SETTINGS_FILE


# --- JSON without json -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, database=None)
@given(json_values, st.sampled_from([None, 2, "\t"]))
def test_fastjson_reads_what_json_writes(value: object, indent: int | str | None) -> None:
    text = " \n" + json.dumps(value, indent=indent) + "\t\n"
    assert fastjson.loads(text) == json.loads(text)


@settings(max_examples=300, database=None, deadline=None)
@given(st.text(max_size=40))
def test_fastjson_rejects_what_json_rejects(text: str) -> None:
    try:
        expected: object = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            fastjson.loads(text)
    else:
        # Compared as JSON text: NaN, which json accepts, is never equal to itself.
        assert json.dumps(fastjson.loads(text)) == json.dumps(expected)


@settings(max_examples=300, database=None)
@given(st.dictionaries(st.text(), st.text(), max_size=5))
def test_fastjson_writes_what_json_reads(mapping: dict[str, str]) -> None:
    assert json.loads(fastjson.dumps_strings(mapping)) == mapping


# --- the layer rule, on what the get path really imports -------------------------------------

# Never on the get path (DESIGN.md); plus what would cost the start-up budget (bench/).
FORBIDDEN = (
    "PySide6",
    "requests",
    "urllib3",
    "keyring",
    "secretstorage",
    "jeepney",
    "platformdirs",
)
TOO_SLOW = ("json", "re", "typing", "dataclasses", "pathlib", "enum", "socket", "tempfile")

PROBE = """
import sys
from hubtokens.credhelper.main import main
sys.argv = ["docker-credential-hubtokens", "get"]
code = main()
loaded = sorted(sys.modules)
import json
sys.stderr.write(json.dumps([code, loaded]))
"""


@pytest.mark.secret_service
@pytest.mark.parametrize("server", ["https://index.docker.io/v1/", "quay.io"])
def test_the_get_path_imports_no_heavy_module(helper: Helper, server: str) -> None:
    token = helper.sign_in()
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=server,
        env=helper.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    code, loaded = json.loads(result.stderr)
    assert code == (0 if "docker" in server else 1)
    if code == 0:
        assert json.loads(result.stdout)["Secret"] == token
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & {*FORBIDDEN, *TOO_SLOW}, sorted(tops & {*FORBIDDEN, *TOO_SLOW})
    assert not [name for name in loaded if name.startswith(("hubtokens.cli", "hubtokens.gui"))]
