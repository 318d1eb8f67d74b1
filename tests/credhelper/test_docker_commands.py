"""``hubtokens docker ...`` and the real docker CLI talking to the helper.

The hub side is the real CLI signed in to a real local Hub for registries; Docker Hub keys are
answered by the account on https://hub.docker.com, signed in by writing what signin writes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hubtokens.credhelper.errors import NOT_FOUND
from hubtokens.localhub import LocalHub
from tests.cli.conftest import Cli
from tests.credhelper.conftest import REGISTRY, Helper, new_token

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

DOCKER = shutil.which("docker")
needs_docker = pytest.mark.skipif(DOCKER is None, reason="needs the docker CLI")


@pytest.fixture
def cli(helper: Helper) -> Cli:
    """``python -m hubtokens`` with the helper's home, keychain, PATH and DOCKER_CONFIG."""
    return Cli(home=helper.home, env=dict(helper.env), transcript=[])


@pytest.fixture
def hub_cli(cli: Cli, local_hub: LocalHub, alice_password: str) -> Cli:
    """Signed in to the local hub, which is the default hub of every command."""
    cli.env["HUBTOKENS_HUB_URL"] = local_hub.url
    result = cli.sign_in("alice", alice_password)
    assert result.returncode == 0, result.stderr
    return cli


def docker(helper: Helper, *args: str) -> subprocess.CompletedProcess[str]:
    assert DOCKER is not None
    return subprocess.run(
        [DOCKER, *args],
        env=helper.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def status(cli: Cli) -> dict[str, dict[str, object]]:
    result = cli("docker", "status", "--json")
    assert result.returncode == 0, result.stderr
    return {row["server"]: row for row in json.loads(result.stdout)["servers"]}


def docker_config(helper: Helper) -> Path:
    return Path(helper.env["DOCKER_CONFIG"]) / "config.json"


# --- with a real local hub -------------------------------------------------------------------


def test_a_configured_registry_gets_the_auto_token_of_the_signed_in_cli(
    hub_cli: Cli, helper: Helper, local_hub: LocalHub
) -> None:
    configured = hub_cli("docker", "configure", "--registry", REGISTRY)
    assert configured.returncode == 0, configured.stderr
    assert f"Registry {REGISTRY} is answered by the account signed in on {local_hub.url}" in (
        configured.stdout
    )

    got = helper("get", stdin=f"http://{REGISTRY}")

    auto_token = hub_cli("token", "print").stdout.strip()
    assert auto_token
    assert json.loads(got.stdout) == {
        "ServerURL": f"http://{REGISTRY}",
        "Username": "alice",
        "Secret": auto_token,
    }
    row = status(hub_cli)[REGISTRY]
    assert (row["account"], row["hub"], row["docker_cli"]) == ("alice", local_hub.url, "app-token")
    assert row["cred_helpers"] == {REGISTRY: "hubtokens"}


@needs_docker
def test_docker_logout_signs_the_cli_out_until_hubtokens_docker_login(
    hub_cli: Cli, helper: Helper
) -> None:
    assert hub_cli("docker", "configure", "--registry", REGISTRY).returncode == 0
    assert helper("get", stdin=REGISTRY).returncode == 0

    logout = docker(helper, "logout", REGISTRY)

    assert logout.returncode == 0, logout.stderr
    assert (helper("get", stdin=REGISTRY).stdout, helper.calls[-1].returncode) == (
        NOT_FOUND + "\n",
        1,
    )
    assert status(hub_cli)[REGISTRY]["docker_cli"] == "signed-out"
    text = hub_cli("docker", "status").stdout
    assert "signed out by docker logout" in text
    assert "hubtokens docker login" in text
    assert hub_cli("sync").returncode == 0  # the app at work does not sign the CLI back in
    assert helper("get", stdin=REGISTRY).returncode == 1

    login = hub_cli("docker", "login")

    assert login.returncode == 0, login.stderr
    assert f"uses alice's token for {REGISTRY} again" in login.stdout
    assert json.loads(helper("get", stdin=REGISTRY).stdout)["Username"] == "alice"
    assert status(hub_cli)[REGISTRY]["docker_cli"] == "app-token"


# --- Docker Hub through the docker CLI -------------------------------------------------------


@needs_docker
def test_the_docker_cli_reads_docker_hub_through_the_helper(cli: Cli, helper: Helper) -> None:
    token = helper.sign_in()
    assert cli("docker", "configure").returncode == 0

    # Without a daemon `docker login` fails, but first it reads the stored credential.
    login = docker(helper, "login")
    assert "[Username: alice]" in login.stdout + login.stderr

    logout = docker(helper, "logout")
    assert logout.returncode == 0, logout.stderr
    assert helper("get", stdin="https://index.docker.io/v1/").stdout == NOT_FOUND + "\n"
    assert status(cli)["https://index.docker.io/v1/"]["docker_cli"] == "signed-out"
    assert cli("docker", "login").returncode == 0
    assert json.loads(helper("get", stdin="docker.io").stdout)["Secret"] == token
    assert token not in docker_config(helper).read_text()


def test_hubtokens_docker_login_leaves_a_docker_login_credential_alone(
    cli: Cli, helper: Helper
) -> None:
    helper.sign_in()
    theirs = json.dumps({"ServerURL": "docker.io", "Username": "bob", "Secret": new_token()})
    assert helper("store", stdin=theirs).returncode == 0

    login = cli("docker", "login")

    assert login.returncode == 0
    assert "keeps the credential docker login stored for bob" in login.stdout
    assert "docker logout" in login.stdout
    assert json.loads(helper("get", stdin="docker.io").stdout)["Username"] == "bob"


def test_docker_login_needs_a_signed_in_account(cli: Cli) -> None:
    result = cli("docker", "login")
    assert result.returncode == 3
    assert "not signed in to https://hub.docker.com" in result.stderr


# --- configure and status --------------------------------------------------------------------


def test_configure_and_undo_with_docker_config(cli: Cli, helper: Helper) -> None:
    config = docker_config(helper)
    config.parent.mkdir(parents=True)
    config.write_text('{\n\t"auths": {},\n\t"credsStore": "desktop"\n}')

    added = cli("docker", "configure", "--registry", REGISTRY, "--json")

    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert report["docker_config"] == str(config)
    assert [c["server"] for c in report["changes"]] == [
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
        REGISTRY,
    ]
    assert "not signed in to https://hub.docker.com" in added.stderr
    assert json.loads(config.read_text())["credsStore"] == "desktop"
    assert json.loads(helper.paths.config_dir.joinpath("registries.json").read_text())[
        "registries"
    ] == {REGISTRY: "https://hub.docker.com"}

    only_registry = cli("docker", "configure", "--undo", "--registry", REGISTRY)
    assert only_registry.returncode == 0
    assert REGISTRY not in json.loads(config.read_text())["credHelpers"]
    assert status(cli).keys() == {"https://index.docker.io/v1/"}

    assert cli("docker", "configure", "--undo").returncode == 0
    assert config.read_text() == '{\n\t"auths": {},\n\t"credsStore": "desktop"\n}'


def test_an_unparseable_docker_config_is_left_untouched(cli: Cli, helper: Helper) -> None:
    config = docker_config(helper)
    config.parent.mkdir(parents=True)
    config.write_text('{"auths": {')

    result = cli("docker", "configure")

    assert result.returncode == 1
    assert "is not valid JSON" in result.stderr
    assert "left untouched" in result.stderr
    assert config.read_text() == '{"auths": {'
    shown = cli("docker", "status", "--json")
    assert shown.returncode == 0
    assert "is not valid JSON" in json.loads(shown.stdout)["docker_config_error"]


@pytest.mark.parametrize("registry", ["docker.io", "https://index.docker.io/v1/", "a b", "h:0"])
def test_configure_refuses_a_bad_registry(cli: Cli, helper: Helper, registry: str) -> None:
    result = cli("docker", "configure", "--registry", registry)
    assert result.returncode == 2
    assert not docker_config(helper).exists()


def test_status_says_whether_docker_can_find_the_helper(cli: Cli, helper: Helper) -> None:
    found = json.loads(cli("docker", "status", "--json").stdout)["helper_program"]
    assert found == str(Path(helper.env["PATH"].split(":")[0]) / "docker-credential-hubtokens")
    missing = cli("docker", "status", env={"PATH": "/nonexistent"})
    assert "docker-credential-hubtokens is NOT on PATH" in missing.stdout
