"""The credential-helper protocol, action by action, on the real program and gnome-keyring."""

from __future__ import annotations

import json
import subprocess

import pytest

from hubtokens.credhelper.errors import LOCKED, NOT_FOUND
from hubtokens.credhelper.main import MAX_INPUT, USAGE
from tests.credhelper.conftest import HELPER, LOCAL_HUB, REGISTRY, Helper, new_token

pytestmark = pytest.mark.secret_service

DOCKER_HUB_SPELLINGS = [
    "https://index.docker.io/v1/",
    "https://index.docker.io/v1",
    "https://index.docker.io",
    "http://index.docker.io/",
    "index.docker.io",
    "index.docker.io/",
    "docker.io",
    "https://docker.io/",
    "registry-1.docker.io",
    "https://registry-1.docker.io/v2/",
    "  Docker.IO\n",
]


def credentials(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stdout + result.stderr
    parsed: dict[str, str] = json.loads(result.stdout)
    return parsed


def assert_fails(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1
    assert result.stdout == message + "\n"
    assert "Traceback" not in result.stderr


def store_input(server: str, username: str, secret: str) -> str:
    return json.dumps({"ServerURL": server, "Username": username, "Secret": secret})


# --- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["version", "--version", "-v"])
def test_version(flag: str) -> None:
    result = subprocess.run([str(HELPER), flag], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("docker-credential-hubtokens (Hub Tokens) ")


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_the_usage(flag: str) -> None:
    result = subprocess.run([str(HELPER), flag], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, USAGE + "\n")


@pytest.mark.parametrize("args", [[], ["get", "docker.io"], ["store", "erase"]])
def test_wrong_arguments_print_the_usage_on_stdout_and_exit_1(args: list[str]) -> None:
    result = subprocess.run([str(HELPER), *args], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (1, USAGE + "\n", "")


def test_unknown_action(helper: Helper) -> None:
    assert_fails(helper("fetch", stdin="docker.io"), "Unknown credential action `fetch`")


# --- get -------------------------------------------------------------------------------------


@pytest.mark.parametrize("server", DOCKER_HUB_SPELLINGS)
def test_every_docker_hub_spelling_gets_the_auto_token(helper: Helper, server: str) -> None:
    token = helper.sign_in()
    got = credentials(helper("get", stdin=server))
    assert got == {"ServerURL": server.strip(), "Username": "alice", "Secret": token}


def test_get_prints_what_the_go_helpers_print(helper: Helper) -> None:
    token = helper.sign_in()
    result = helper("get", stdin="https://index.docker.io/v1/")
    expected = {"ServerURL": "https://index.docker.io/v1/", "Username": "alice", "Secret": token}
    assert result.stdout == json.dumps(expected, separators=(",", ":")) + "\n"
    assert result.stderr == ""


def test_not_found_is_the_exact_text_docker_matches(helper: Helper) -> None:
    assert_fails(helper("get", stdin="docker.io"), NOT_FOUND)  # nobody signed in
    assert_fails(helper("get", stdin="quay.io"), NOT_FOUND)  # not ours
    helper.sign_in(LOCAL_HUB)
    assert_fails(helper("get", stdin=REGISTRY), NOT_FOUND)  # not added with --registry
    helper.sign_in()
    helper.secret_service.delete_items()  # signed in, but the token is gone
    assert_fails(helper("get", stdin="docker.io"), NOT_FOUND)


def test_a_configured_registry_gets_the_account_of_its_hub(helper: Helper) -> None:
    docker_hub_token = helper.sign_in()
    local_token = helper.sign_in(LOCAL_HUB, "bob")
    helper.add_registry(REGISTRY, LOCAL_HUB)
    for spelling in (REGISTRY, f"http://{REGISTRY}", f"https://{REGISTRY}/"):
        got = credentials(helper("get", stdin=spelling))
        assert (got["Username"], got["Secret"]) == ("bob", local_token)
    got = credentials(helper("get", stdin="docker.io"))
    assert (got["Username"], got["Secret"]) == ("alice", docker_hub_token)


def test_an_unknown_registry_never_touches_the_keychain(helper: Helper) -> None:
    helper.sign_in()
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "XDG_RUNTIME_DIR": ""}
    assert_fails(helper("get", stdin="quay.io", env=env), NOT_FOUND)


# --- store and erase -------------------------------------------------------------------------


def test_docker_login_is_kept_beside_the_auto_token_and_docker_logout_signs_out(
    helper: Helper,
) -> None:
    token = helper.sign_in()
    theirs = new_token()
    stored = helper("store", stdin=store_input("https://index.docker.io/v1/", "bob", theirs))
    assert (stored.returncode, stored.stdout) == (0, "")

    for spelling in ("https://index.docker.io/v1/", "docker.io", "registry-1.docker.io"):
        got = credentials(helper("get", stdin=spelling))
        assert (got["Username"], got["Secret"]) == ("bob", theirs)
    assert helper.items()["auto-token:alice@https://hub.docker.com"] == token  # untouched
    assert credentials(helper("list")) == {"https://index.docker.io/v1/": "bob"}

    erased = helper("erase", stdin="docker.io")
    assert (erased.returncode, erased.stdout) == (0, "")
    assert_fails(helper("get", stdin="https://index.docker.io/v1/"), NOT_FOUND)
    assert helper.items() == {"auto-token:alice@https://hub.docker.com": token}
    assert credentials(helper("list")) == {}


def test_docker_logout_of_the_auto_token_is_never_silently_undone(helper: Helper) -> None:
    token = helper.sign_in()
    for spelling in ("index.docker.io", "http://index.docker.io", "https://index.docker.io"):
        assert helper("erase", stdin=spelling).returncode == 0  # docker logout erases several
    assert_fails(helper("get", stdin="docker.io"), NOT_FOUND)
    helper.sign_in()  # the app storing a new token does not sign the CLI back in
    assert_fails(helper("get", stdin="docker.io"), NOT_FOUND)
    assert token not in helper.cli_state_file().read_text()


def test_store_again_replaces_the_previous_docker_login(helper: Helper) -> None:
    helper.sign_in()
    first, second = new_token(), new_token()
    assert helper("store", stdin=store_input("docker.io", "bob", first)).returncode == 0
    assert helper("store", stdin=store_input("docker.io", "carol", second)).returncode == 0
    got = credentials(helper("get", stdin="docker.io"))
    assert (got["Username"], got["Secret"]) == ("carol", second)
    assert first not in helper.items().values()
    assert "<token>" not in helper.items()  # keys are usernames, not identity-token markers


def test_store_after_docker_logout_signs_the_cli_in_with_that_credential(helper: Helper) -> None:
    helper.sign_in()
    assert helper("erase", stdin="docker.io").returncode == 0
    theirs = new_token()
    assert helper("store", stdin=store_input("docker.io", "<token>", theirs)).returncode == 0
    got = credentials(helper("get", stdin="docker.io"))
    assert (got["Username"], got["Secret"]) == ("<token>", theirs)  # an identity token


def test_store_for_a_configured_registry(helper: Helper) -> None:
    helper.add_registry()
    theirs = new_token()
    assert helper("store", stdin=store_input(f"http://{REGISTRY}", "bob", theirs)).returncode == 0
    got = credentials(helper("get", stdin=REGISTRY))
    assert (got["Username"], got["Secret"]) == ("bob", theirs)
    assert credentials(helper("list")) == {REGISTRY: "bob"}


def test_store_for_another_registry_is_refused(helper: Helper) -> None:
    helper.sign_in()
    before = helper.items()
    result = helper("store", stdin=store_input("quay.io", "bob", new_token()))
    assert_fails(
        result,
        "hubtokens only stores credentials for Docker Hub and registries added with "
        "`hubtokens docker configure --registry`",
    )
    assert helper.items() == before
    assert not helper.cli_state_file().exists()


def test_erase_of_nothing_is_success(helper: Helper) -> None:
    for server in ("quay.io", "docker.io", REGISTRY):
        result = helper("erase", stdin=server)
        assert (result.returncode, result.stdout) == (0, "")
    assert helper.items() == {}


def test_store_fields_are_matched_as_go_matches_them(helper: Helper) -> None:
    theirs = new_token()
    data = json.dumps({"serverurl": "docker.io", "USERNAME": "bob", "secret": theirs, "x": 1})
    assert helper("store", stdin=data).returncode == 0
    assert credentials(helper("get", stdin="docker.io"))["Secret"] == theirs


# --- list ------------------------------------------------------------------------------------


def test_list_names_our_servers_only(helper: Helper) -> None:
    assert credentials(helper("list", stdin="unused")) == {}
    helper.sign_in()
    helper.sign_in(LOCAL_HUB, "bob")
    helper.add_registry(REGISTRY, LOCAL_HUB)
    helper.add_registry("registry.example.test", "https://hub.example.test")  # nobody there
    assert credentials(helper("list")) == {"https://index.docker.io/v1/": "alice", REGISTRY: "bob"}


# --- bad input -------------------------------------------------------------------------------

BAD_INPUT = [
    ("get", b"", "no credentials server URL"),
    ("erase", b" \n", "no credentials server URL"),
    ("get", b"x" * (MAX_INPUT + 1), "the input is larger than 64 KiB; nothing was changed"),
    ("erase", b"docker.io" * 10_000, "the input is larger than 64 KiB; nothing was changed"),
    ("store", b"{" * (MAX_INPUT + 5), "the input is larger than 64 KiB; nothing was changed"),
    ("get", b"\xff\xfedocker.io", "the input is not UTF-8 text; nothing was changed"),
    ("erase", b"docker .io", "not a registry address"),
    ("get", b"https://", "not a registry address"),
    ("get", b"host:99999", "not a registry address"),
    ("store", b"", "the input is not the JSON of a credential; nothing was stored"),
    ("store", b"docker.io", "the input is not the JSON of a credential; nothing was stored"),
    ("store", b'["docker.io"]', "the input is not the JSON of a credential; nothing was stored"),
    ("store", b'{"ServerURL": "docker.io"', "the input is not the JSON of a credential"),
    ("store", b"[" * 100_00, "the input is not the JSON of a credential; nothing was stored"),
    ("store", b'{"Username": "bob", "Secret": "s"}', "no credentials server URL"),
    ("store", b'{"ServerURL": "docker.io", "Secret": "s"}', "no credentials username"),
    ("store", b'{"ServerURL": "docker.io", "Username": "bob"}', "no credentials secret"),
    ("store", b'{"ServerURL": 5, "Username": "bob", "Secret": "s"}', "ServerURL must be a"),
    ("store", b'{"ServerURL": "docker.io", "Username": "b\\u0000", "Secret": "s"}', "the username"),
    ("store", b'{"ServerURL": "docker.io", "Username": "b", "Secret": "\\ud800"}', "the secret"),
    ("store", b'{"ServerURL": "a b", "Username": "bob", "Secret": "s"}', "not a registry address"),
]


@pytest.mark.parametrize(("action", "data", "message"), BAD_INPUT)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    helper: Helper, action: str, data: bytes, message: str
) -> None:
    token = helper.sign_in()
    helper.add_registry()
    state = helper("erase", stdin=REGISTRY)  # some state that must survive
    assert state.returncode == 0
    state_before = helper.cli_state_file().read_bytes()

    result = helper(action, stdin=data)

    assert result.returncode == 1
    assert result.stdout.startswith(message), result.stdout
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert helper.items() == {"auto-token:alice@https://hub.docker.com": token}
    assert helper.cli_state_file().read_bytes() == state_before


def test_messages_name_no_secret(helper: Helper) -> None:
    secret = new_token()
    data = json.dumps({"ServerURL": "quay.io", "Username": "bob", "Secret": secret})
    result = helper("store", stdin=data)
    assert result.returncode == 1
    assert secret not in result.stdout + result.stderr
    assert LOCKED not in result.stdout
