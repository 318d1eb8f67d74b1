"""End to end with real clients (issue 4): skopeo and the docker CLI get their credentials for
a real docker-registry from ``docker-credential-hubtokens``, which reads what the real
``hubtokens`` CLI keeps in a real gnome-keyring for the account of the local Hub the registry
trusts. What the registry and the hub did is checked on their side: manifests through a
separate skopeo with alice's password, tokens' ``last_used``/``is_active`` on the hub.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hubtokens.credhelper.errors import NOT_FOUND
from tests.fixtures.registry import OciImage
from tests.integration.conftest import Rig, program

pytestmark = [pytest.mark.integration, pytest.mark.secret_service]

DENIED = "requested access to the resource is denied"
BAD_LOGIN = "incorrect username or password"
UNKNOWN_MANIFEST = "manifest unknown"

needs_docker = pytest.mark.skipif(
    program("docker") is None, reason="the docker CLI is not installed (`docker` not on PATH)"
)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], *why: str) -> None:
    assert result.returncode != 0, result.stdout
    assert all(w in result.stderr for w in why), result.stderr


def digest_of(result: subprocess.CompletedProcess[str]) -> str:
    digest: str = json.loads(ok(result).stdout)["Digest"]
    return digest


def held(rig: Rig, repository: str, tag: str) -> subprocess.CompletedProcess[str]:
    """What the registry holds, asked with alice's password (never through the helper)."""
    return rig.checker.inspect(rig.ref(repository, tag), creds=f"alice:{rig.alice_password}")


def helper_get(rig: Rig) -> dict[str, str]:
    got: dict[str, str] = json.loads(ok(rig.helper("get", stdin=rig.host)).stdout)
    return got


def not_found(rig: Rig) -> None:
    result = rig.helper("get", stdin=rig.host)
    assert (result.returncode, result.stdout) == (1, NOT_FOUND + "\n")


def docker_config_text(rig: Rig) -> str:
    return (Path(rig.env["DOCKER_CONFIG"]) / "config.json").read_text()


# --- 1 ---------------------------------------------------------------------------------------


def test_skopeo_pushes_and_pulls_with_the_auto_token_through_the_helper(
    signed_in_rig: Rig, oci_image: OciImage
) -> None:
    rig = signed_in_rig
    auto = rig.auto_token_uuid()
    assert rig.hub_token(auto)["last_used"] is None
    config = json.loads(docker_config_text(rig))
    assert config["credHelpers"][rig.host] == "hubtokens"

    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "1")))

    assert digest_of(held(rig, "alice/app", "1")) == oci_image.manifest_digest
    assert digest_of(rig.skopeo.pull(rig.ref("alice/app", "1"))) == oci_image.manifest_digest
    assert rig.hub.repositories() == {"alice/app": False}
    token = rig.hub_token(auto)
    assert token["last_used"] is not None
    assert token["is_active"] is True
    assert [t["uuid"] for t in rig.hub.tokens("alice")] == [auto]  # nothing else was made
    # The secret went through the helper only: docker's config holds none.
    assert rig.auto_token_secret() not in docker_config_text(rig)


# --- 2 ---------------------------------------------------------------------------------------


@needs_docker
def test_a_read_only_pat_from_docker_login_pulls_cannot_push_and_logout_drops_it(
    signed_in_rig: Rig, oci_image: OciImage
) -> None:
    rig = signed_in_rig
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "1")))  # with the auto token
    _, reader = rig.hub.create_token("alice", "read only", ["repo:read"])

    login = rig.docker("login", "-u", "alice", "--password-stdin", rig.host, stdin=reader)

    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    assert helper_get(rig) == {"ServerURL": rig.host, "Username": "alice", "Secret": reader}
    assert reader not in docker_config_text(rig)
    assert digest_of(rig.skopeo.pull(rig.ref("alice/app", "1"))) == oci_image.manifest_digest
    refused(rig.skopeo.push(oci_image, rig.ref("alice/app", "2")), DENIED)
    refused(rig.skopeo.push(oci_image, rig.ref("alice/new", "1")), DENIED)
    refused(held(rig, "alice/app", "2"), UNKNOWN_MANIFEST)
    assert "alice/new" not in rig.hub.repositories()

    logout = rig.docker("logout", rig.host)

    assert logout.returncode == 0, logout.stderr
    not_found(rig)
    assert not [k for k in rig.keychain_keys() if k.startswith("docker-login:")]
    assert [k for k in rig.keychain_keys() if k.startswith("auto-token:alice@")]
    # Anonymous now: alice's repository is private.
    refused(rig.skopeo.pull(rig.ref("alice/app", "1")), DENIED)

    again = rig.cli("docker", "login")

    assert again.returncode == 0, again.stderr
    assert helper_get(rig)["Secret"] == rig.auto_token_secret()
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "3")))
    assert digest_of(held(rig, "alice/app", "3")) == oci_image.manifest_digest


# --- 3 ---------------------------------------------------------------------------------------


def test_an_auto_token_deactivated_on_the_hub_is_unauthorized_until_activated(
    signed_in_rig: Rig, oci_image: OciImage
) -> None:
    rig = signed_in_rig
    auto = rig.auto_token_uuid()
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "1")))

    rig.hub.set_token_active(auto, False)

    refused(rig.skopeo.pull(rig.ref("alice/app", "1")), "unauthorized", BAD_LOGIN)
    refused(rig.skopeo.push(oci_image, rig.ref("alice/app", "2")), "unauthorized", BAD_LOGIN)
    refused(held(rig, "alice/app", "2"), UNKNOWN_MANIFEST)

    rig.hub.set_token_active(auto, True)

    assert digest_of(rig.skopeo.pull(rig.ref("alice/app", "1"))) == oci_image.manifest_digest
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "2")))
    assert digest_of(held(rig, "alice/app", "2")) == oci_image.manifest_digest


# --- 4 ---------------------------------------------------------------------------------------


def test_an_auto_token_deleted_on_the_hub_is_recreated_by_sync_and_skopeo_works_again(
    signed_in_rig: Rig, oci_image: OciImage
) -> None:
    rig = signed_in_rig
    old = rig.auto_token_uuid()
    old_secret = rig.auto_token_secret()
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "1")))

    rig.hub.delete_token(old)

    refused(rig.skopeo.pull(rig.ref("alice/app", "1")), "unauthorized", BAD_LOGIN)
    rig.age_creation_attempts(11)  # sign-in spent one creation attempt at the real clock
    synced = rig.cli("sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "Recreated the auto token" in synced.stdout
    new = rig.auto_token_uuid()
    assert new != old
    assert [t["uuid"] for t in rig.hub.tokens("alice")] == [new]
    assert rig.hub_token(new)["last_used"] is None
    assert rig.auto_token_secret() != old_secret

    # No other step: the helper reads the new secret from the keychain.
    assert digest_of(rig.skopeo.pull(rig.ref("alice/app", "1"))) == oci_image.manifest_digest
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "2")))
    assert digest_of(held(rig, "alice/app", "2")) == oci_image.manifest_digest
    assert rig.hub_token(new)["last_used"] is not None


# --- 5 ---------------------------------------------------------------------------------------


@needs_docker
def test_docker_login_stores_through_the_helper_and_docker_logout_erases(
    rig: Rig, oci_image: OciImage
) -> None:
    rig.configure()  # the registry is ours, but no account is signed in: nothing to answer
    assert json.loads(ok(rig.helper("list")).stdout) == {}
    not_found(rig)
    assert rig.keychain_keys() == []
    uuid, pat = rig.hub.create_token("alice", "docker login", ["repo:write"])

    login = rig.docker("login", "-u", "alice", "--password-stdin", rig.host, stdin=pat)

    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    assert json.loads(ok(rig.helper("list")).stdout) == {rig.host: "alice"}
    assert helper_get(rig) == {"ServerURL": rig.host, "Username": "alice", "Secret": pat}
    assert rig.keychain_keys() == [f"docker-login:alice@{rig.host}"]
    assert pat in rig.keychain()  # libsecret's own tool reads the very secret
    assert pat not in docker_config_text(rig)
    # What docker login stored is what skopeo then uses.
    ok(rig.skopeo.push(oci_image, rig.ref("alice/app", "1")))
    assert digest_of(held(rig, "alice/app", "1")) == oci_image.manifest_digest
    assert rig.hub_token(uuid)["last_used"] is not None

    logout = rig.docker("logout", rig.host)

    assert logout.returncode == 0, logout.stderr
    assert rig.keychain_keys() == []
    not_found(rig)
    assert json.loads(ok(rig.helper("list")).stdout) == {}
    refused(rig.skopeo.pull(rig.ref("alice/app", "1")), DENIED)


# --- 6 ---------------------------------------------------------------------------------------

MIB = 1024 * 1024


def _bad_inputs(host: str) -> list[tuple[str, tuple[str, ...], bytes, str]]:
    """(what, args, stdin, part of the message) for calls that must fail and change nothing."""
    good = json.dumps({"ServerURL": host, "Username": "alice", "Secret": "x" * 40})
    return [
        ("store: not JSON", ("store",), b"this is {not json", "not the JSON of a credential"),
        ("store: JSON, not an object", ("store",), b'["a", "b"]', "not the JSON of a credential"),
        ("store: a number as ServerURL", ("store",), b'{"ServerURL": 5}', "must be a string"),
        ("store: not UTF-8", ("store",), b"\xff\xfe\x00{garbage", "not UTF-8"),
        (
            "store: empty secret",
            ("store",),
            json.dumps({"ServerURL": host, "Username": "alice", "Secret": ""}).encode(),
            "empty secret",
        ),
        (
            "store: not our server",
            ("store",),
            good.replace(host, "elsewhere.example:5000").encode(),
            "only stores credentials for",
        ),
        ("get: control bytes", ("get",), b"\x00\x01\x02 garbage \x7f", "not a registry address"),
        ("get: nothing", ("get",), b"", "no credentials server URL"),
        ("erase: not a host", ("erase",), b"{not a host}", "not a registry address"),
        ("unknown action", ("frobnicate",), host.encode(), "Unknown credential action"),
        ("huge action name", ("x" * 100_000,), b"", "Unknown credential action"),
        ("no action", (), b"", "Usage:"),
        ("two actions", ("get", "erase"), host.encode(), "Usage:"),
        # 1 MiB: more than the helper reads; each would change something if it were taken.
        ("store: 1 MiB secret", ("store",), good.replace("x" * 40, "x" * MIB).encode(), "KiB"),
        ("store: good JSON + 1 MiB", ("store",), good.encode() + b" " * MIB, "KiB"),
        ("erase: our host + 1 MiB", ("erase",), host.encode() + b"\n" * MIB, "KiB"),
        ("get: 1 MiB", ("get",), b"A" * MIB, "KiB"),
        ("list: 1 MiB of garbage", ("list",), b"\x00\xff" * (MIB // 2), "KiB"),
    ]


def test_garbage_unknown_actions_and_huge_inputs_fail_clearly_and_change_nothing(
    signed_in_rig: Rig,
) -> None:
    rig = signed_in_rig
    keychain_before = rig.keychain()
    files_before = rig.app_files()
    docker_before = docker_config_text(rig)
    assert "auto-token:alice@" in keychain_before  # there is something to keep

    problems = []
    for what, args, stdin, message in _bad_inputs(rig.host):
        result = rig.helper(*args, stdin=stdin)
        shown = (what, result.returncode, result.stdout[:300], result.stderr[:300])
        if not (
            result.returncode == 1
            and message in result.stdout
            and result.stdout.endswith("\n")
            and result.stdout.count("\n") == 1  # one line on stdout ...
            and len(result.stdout) < 300  # ... not an echo of the input
            and "Traceback" not in result.stdout + result.stderr
        ):
            problems.append(shown)

    assert problems == []
    assert rig.keychain() == keychain_before
    assert rig.app_files() == files_before
    assert docker_config_text(rig) == docker_before
    assert helper_get(rig)["Secret"] == rig.auto_token_secret()  # still answers
