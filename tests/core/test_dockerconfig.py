"""Docker's config.json edits (ours only, undoable) and the helper's small files."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubtokens.core import dockerconfig as dc
from hubtokens.core.errors import ConfigError

HUB_KEYS = list(dc.DOCKER_HUB_KEYS)
ORIGINAL = """{
\t"auths": {
\t\t"https://index.docker.io/v1/": {}
\t},
\t"credsStore": "desktop",
\t"currentContext": "default",
\t"plugins": {
\t\t"-x-cli-hints": {
\t\t\t"enabled": "true"
\t\t}
\t}
}"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "docker" / "config.json"
    path.parent.mkdir()
    path.write_text(ORIGINAL)
    path.chmod(0o600)
    return path


@pytest.fixture
def edits(tmp_path: Path) -> str:
    return str(tmp_path / "hubtokens" / "config" / dc.EDITS_FILE)


def add(config: Path, edits: str, *servers: str) -> dc.EditResult:
    return dc.add_cred_helpers(str(config), list(servers) or HUB_KEYS, edits)


# --- configure -------------------------------------------------------------------------------


def test_adds_cred_helpers_and_keeps_everything_else_in_order(config: Path, edits: str) -> None:
    result = add(config, edits)

    data = json.loads(config.read_text())
    assert list(data) == ["auths", "credsStore", "currentContext", "plugins", "credHelpers"]
    assert data["credHelpers"] == dict.fromkeys(HUB_KEYS, "hubtokens")
    assert data["credsStore"] == "desktop"  # never touched
    assert {k: v for k, v in data.items() if k != "credHelpers"} == json.loads(ORIGINAL)
    assert config.read_text().startswith('{\n\t"auths": {\n\t\t"https://')  # docker's tab indent
    assert not config.read_text().endswith("\n")  # as it was
    assert [c[0] for c in result.changes] == HUB_KEYS
    assert result.backup == str(config) + dc.BACKUP_SUFFIX
    assert Path(result.backup).read_text() == ORIGINAL
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_keeps_the_indentation_it_finds(config: Path, edits: str) -> None:
    config.write_text('{\n    "auths": {}\n}\n')
    add(config, edits)
    text = config.read_text()
    assert text.startswith('{\n    "auths": {},\n    "credHelpers": {\n        "https://')
    assert text.endswith("}\n")


def test_is_idempotent(config: Path, edits: str) -> None:
    add(config, edits)
    text, backup = config.read_text(), Path(str(config) + dc.BACKUP_SUFFIX).read_text()
    mtime = config.stat().st_mtime_ns

    again = add(config, edits)

    assert again.changes == []
    assert again.left_alone == HUB_KEYS
    assert again.backup is None
    assert config.read_text() == text
    assert config.stat().st_mtime_ns == mtime  # not even rewritten
    assert Path(str(config) + dc.BACKUP_SUFFIX).read_text() == backup


def test_a_missing_config_is_created_as_docker_would(tmp_path: Path, edits: str) -> None:
    config = tmp_path / "new" / "config.json"
    result = add(config, edits)
    assert json.loads(config.read_text()) == {"credHelpers": dict.fromkeys(HUB_KEYS, "hubtokens")}
    assert '\n\t"credHelpers"' in config.read_text()
    assert result.backup is None
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_undo_removes_exactly_what_was_added(config: Path, edits: str) -> None:
    add(config, edits)
    result = dc.remove_cred_helpers(str(config), edits)
    assert json.loads(config.read_text()) == json.loads(ORIGINAL)
    assert config.read_text() == ORIGINAL
    assert [c[0] for c in result.changes] == HUB_KEYS
    again = dc.remove_cred_helpers(str(config), edits)  # nothing left to undo
    assert (again.changes, again.backup) == ([], None)
    assert config.read_text() == ORIGINAL


def test_undo_restores_what_was_replaced_and_keeps_the_persons_entries(
    config: Path, edits: str
) -> None:
    data = json.loads(ORIGINAL)
    data["credHelpers"] = {"docker.io": "desktop", "gcr.io": "gcloud"}
    config.write_text(json.dumps(data, indent="\t"))

    result = add(config, edits)
    assert ("docker.io", "desktop", "hubtokens") in result.changes
    assert json.loads(config.read_text())["credHelpers"]["gcr.io"] == "gcloud"

    dc.remove_cred_helpers(str(config), edits)
    assert json.loads(config.read_text()) == data


def test_undo_never_removes_an_entry_the_person_changed_since(config: Path, edits: str) -> None:
    add(config, edits)
    data = json.loads(config.read_text())
    data["credHelpers"]["docker.io"] = "pass"  # the person's own choice now
    config.write_text(json.dumps(data, indent="\t"))

    result = dc.remove_cred_helpers(str(config), edits)

    assert result.left_alone == ["docker.io"]
    assert json.loads(config.read_text())["credHelpers"] == {"docker.io": "pass"}


def test_an_entry_that_named_hubtokens_before_is_the_persons(config: Path, edits: str) -> None:
    data = json.loads(ORIGINAL)
    data["credHelpers"] = {"docker.io": "hubtokens"}
    config.write_text(json.dumps(data, indent="\t"))
    add(config, edits)
    dc.remove_cred_helpers(str(config), edits)
    assert json.loads(config.read_text())["credHelpers"] == {"docker.io": "hubtokens"}


def test_undo_of_some_servers_only(config: Path, edits: str) -> None:
    add(config, edits, *HUB_KEYS, "127.0.0.1:5999")
    dc.remove_cred_helpers(str(config), edits, ["127.0.0.1:5999"])
    assert json.loads(config.read_text())["credHelpers"] == dict.fromkeys(HUB_KEYS, "hubtokens")
    dc.remove_cred_helpers(str(config), edits)
    assert config.read_text() == ORIGINAL


@pytest.mark.parametrize(
    "text",
    ['{"auths": {', "[1, 2]", '"text"', '{"credHelpers": ["docker.io"]}', '{"a": 1} x', "\ufeff{"],
)
def test_a_config_it_cannot_use_is_left_untouched(config: Path, edits: str, text: str) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError) as failed:
        add(config, edits)
    assert "left untouched" in failed.value.message
    assert config.read_text() == text
    assert not Path(str(config) + dc.BACKUP_SUFFIX).exists()
    assert not Path(edits).exists()
    with pytest.raises(ConfigError):
        dc.remove_cred_helpers(str(config), edits)
    assert config.read_text() == text


def test_an_empty_file_is_an_empty_config(config: Path, edits: str) -> None:
    config.write_text("")
    add(config, edits)
    assert json.loads(config.read_text()) == {"credHelpers": dict.fromkeys(HUB_KEYS, "hubtokens")}


def test_a_read_only_config_is_an_error_and_left_untouched(config: Path, edits: str) -> None:
    config.chmod(0o444)
    with pytest.raises(ConfigError) as failed:
        add(config, edits)
    assert "read-only" in failed.value.message
    assert "chmod u+w" in (failed.value.hint or "")
    assert config.read_text() == ORIGINAL
    assert not Path(edits).exists()


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path, config: Path, edits: str) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(config)
    add(link, edits)
    assert link.is_symlink()
    assert "credHelpers" in json.loads(config.read_text())
    dc.remove_cred_helpers(str(link), edits)
    assert config.read_text() == ORIGINAL


def test_docker_config_is_honoured() -> None:
    assert dc.docker_config_file({"DOCKER_CONFIG": "/x/y", "HOME": "/h"}) == "/x/y/config.json"
    assert dc.docker_config_file({"HOME": "/h"}) == "/h/.docker/config.json"


def test_read_cred_helpers(config: Path) -> None:
    assert dc.read_cred_helpers(str(config)) == {}
    assert dc.read_cred_helpers(str(config.parent / "missing.json")) == {}
    config.write_text('{"credHelpers": {"docker.io": "hubtokens", "odd": 5}}')
    assert dc.read_cred_helpers(str(config)) == {"docker.io": "hubtokens"}


# --- server names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "canonical"),
    [
        ("https://index.docker.io/v1/", dc.DOCKER_HUB_SERVER),
        ("index.docker.io", dc.DOCKER_HUB_SERVER),
        ("HTTP://Docker.IO", dc.DOCKER_HUB_SERVER),
        ("registry-1.docker.io/v2/", dc.DOCKER_HUB_SERVER),
        ("127.0.0.1:5999", "127.0.0.1:5999"),
        ("http://127.0.0.1:5999", "127.0.0.1:5999"),
        ("https://Registry.Example.test/v2/", "registry.example.test"),
        ("[::1]:5000", "[::1]:5000"),
        ("localhost", "localhost"),
    ],
)
def test_canonical_server(server: str, canonical: str) -> None:
    assert dc.canonical_server(server) == canonical


@pytest.mark.parametrize(
    "server",
    ["", " ", "https://", "a b", "host:0", "host:65536", "host:x", "-host", "[::1", "[]:1", "@h"],
)
def test_not_a_registry_address(server: str) -> None:
    with pytest.raises(ValueError):
        dc.canonical_server(server)


@settings(max_examples=500, database=None)
@given(st.text(max_size=60))
def test_canonical_server_is_stable(text: str) -> None:
    try:
        canonical = dc.canonical_server(text)
    except ValueError:
        return
    assert dc.canonical_server(canonical) == canonical


# --- the helper's files ----------------------------------------------------------------------


def test_registries_map_to_hubs(tmp_path: Path) -> None:
    folder = str(tmp_path)
    dc.map_registry(folder, "127.0.0.1:5999", "http://127.0.0.1:5000")
    dc.map_registry(folder, "registry.example.test", dc.DOCKER_HUB_HUB_URL)
    assert dc.servers_of_hub(folder, dc.DOCKER_HUB_HUB_URL) == [
        dc.DOCKER_HUB_SERVER,
        "registry.example.test",
    ]
    assert dc.servers_of_hub(folder, "http://127.0.0.1:5000") == ["127.0.0.1:5999"]
    assert dc.forget_registries(folder, ["127.0.0.1:5999"]) == ["127.0.0.1:5999"]
    assert dc.forget_registries(folder) == ["registry.example.test"]
    assert dc.servers_of_hub(folder, "http://127.0.0.1:5000") == []
    assert stat.S_IMODE(os.stat(tmp_path / dc.REGISTRIES_FILE).st_mode) == 0o600


def test_signing_the_docker_cli_in_again(tmp_path: Path) -> None:
    folder = str(tmp_path)
    dc.map_registry(folder, "127.0.0.1:5999", "http://127.0.0.1:5000")
    states = {dc.DOCKER_HUB_SERVER: None, "127.0.0.1:5999": "bob", "other:1": None}
    dc.save_json(str(tmp_path / dc.DOCKER_CLI_FILE), dc.cli_states_data(states))

    assert dc.sign_docker_cli_in(folder, dc.DOCKER_HUB_HUB_URL) == ([dc.DOCKER_HUB_SERVER], {})
    assert dc.sign_docker_cli_in(folder, "http://127.0.0.1:5000") == ([], {"127.0.0.1:5999": "bob"})
    left = dc.parse_cli_states(dc.load_json(str(tmp_path / dc.DOCKER_CLI_FILE)))
    assert left == {"127.0.0.1:5999": "bob", "other:1": None}


@pytest.mark.parametrize(
    "data",
    [None, [], {"servers": []}, {"servers": {"a": 1, "b": {"signed_out": "yes"}, "c": {}}}],
)
def test_odd_state_files_mean_no_state(data: object) -> None:
    assert dc.parse_cli_states(data) == {}
    assert dc.parse_registries(data) == {}


def test_state_round_trip() -> None:
    states: dict[str, str | None] = {"a": None, "b": "bob"}
    assert dc.parse_cli_states(dc.cli_states_data(states)) == states
    assert dc.parse_registries(dc.registries_data({"r:1": "http://h"})) == {"r:1": "http://h"}


def test_unreadable_json_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{")
    with pytest.raises(ConfigError):
        dc.load_json(str(path))
    assert dc.load_json(str(tmp_path / "missing.json")) is None


# --- docker login's plain-text credential ----------------------------------------------------


def _plain_config(path: Path) -> str:
    """A config as ``docker login`` leaves it without a helper, with a secret made now."""
    auth = base64.b64encode(f"alice:{secrets.token_urlsafe(24)}".encode()).decode()
    data = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": auth},
            "registry.example.com": {"auth": auth},  # not Docker Hub: not ours to judge
            "docker.io": {},  # what docker writes beside a credential store: no secret
        },
        "currentContext": "default",
    }
    path.write_text(json.dumps(data, indent="\t"))
    return auth


def test_finds_only_docker_hub_entries_holding_a_secret(config: Path) -> None:
    assert dc.plain_docker_hub_credentials(str(config)) == []  # ORIGINAL: an empty entry
    _plain_config(config)
    assert dc.plain_docker_hub_credentials(str(config)) == ["https://index.docker.io/v1/"]
    assert dc.plain_docker_hub_credentials(str(config.parent / "missing.json")) == []


def test_removing_the_plain_credential_keeps_the_rest_and_a_backup(config: Path) -> None:
    auth = _plain_config(config)
    before = config.read_text()
    config.chmod(0o640)

    result = dc.remove_plain_docker_hub_credentials(str(config))

    data = json.loads(config.read_text())
    assert data["auths"] == {"registry.example.com": {"auth": auth}, "docker.io": {}}
    assert data["currentContext"] == "default"
    assert auth in config.read_text()  # the other registry's entry stays
    assert result.removed_plain == ["https://index.docker.io/v1/"]
    assert result.changes == []  # credHelpers untouched
    assert result.backup == str(config) + dc.BACKUP_SUFFIX
    assert Path(result.backup).read_text() == before
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert stat.S_IMODE(Path(result.backup).stat().st_mode) == 0o640
    again = dc.remove_plain_docker_hub_credentials(str(config))
    assert again.removed_plain == [] and again.backup is None  # nothing left: file not rewritten


def test_removing_from_a_config_it_cannot_use_changes_nothing(config: Path) -> None:
    config.write_text("{not json")
    with pytest.raises(ConfigError):
        dc.remove_plain_docker_hub_credentials(str(config))
    assert config.read_text() == "{not json"
    assert not Path(str(config) + dc.BACKUP_SUFFIX).exists()


def test_using_the_helper_can_remove_the_plain_credential_in_the_same_write(
    config: Path, edits: str
) -> None:
    _plain_config(config)
    before = config.read_text()
    result = dc.add_cred_helpers(str(config), HUB_KEYS, edits, remove_plain=True)

    data = json.loads(config.read_text())
    assert data["credHelpers"] == dict.fromkeys(HUB_KEYS, "hubtokens")
    assert "https://index.docker.io/v1/" not in data["auths"]
    assert result.removed_plain == ["https://index.docker.io/v1/"]
    assert Path(str(result.backup)).read_text() == before  # one write: the backup is the original
    dc.remove_cred_helpers(str(config), edits)  # undo: credHelpers go, the secret stays gone
    assert dc.plain_docker_hub_credentials(str(config)) == []
    assert "credHelpers" not in json.loads(config.read_text())
