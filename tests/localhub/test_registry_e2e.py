"""End to end with real clients: Debian's docker-registry taking the local hub's tokens,
and skopeo pushing and pulling a small OCI image with alice's PATs (``--creds``)."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hubtokens.localhub.signing import load_or_create
from tests.fixtures.registry import OciImage, RunningRegistry, Skopeo, make_oci_image

pytestmark = pytest.mark.integration

DENIED = "requested access to the resource is denied"
BAD_LOGIN = "incorrect username or password"


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], why: str) -> None:
    assert result.returncode != 0, result.stdout
    assert why in result.stderr, result.stderr


def pat(registry: RunningRegistry, scope: str, user: str = "alice") -> tuple[str, str]:
    """(uuid, "user:secret") of a new PAT with ``scope``."""
    uuid, secret = registry.hub.create_token(user, scope, [scope])
    return uuid, f"{user}:{secret}"


def push(
    skopeo: Skopeo, registry: RunningRegistry, image: OciImage, repo: str, creds: str
) -> subprocess.CompletedProcess[str]:
    return skopeo.copy(image.ref, registry.ref(repo), creds=creds)


def digest_of(result: subprocess.CompletedProcess[str]) -> str:
    digest: str = json.loads(ok(result).stdout)["Digest"]
    return digest


def test_push_with_a_write_pat_and_pull_it_back(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage
) -> None:
    uuid, creds = pat(registry, "repo:write")
    ok(push(skopeo, registry, oci_image, "alice/app", creds))
    assert digest_of(skopeo.inspect(registry.ref("alice/app"), creds=creds)) == (
        oci_image.manifest_digest
    )
    assert registry.hub.repositories() == {"alice/app": False}
    (token,) = [t for t in registry.hub.tokens("alice") if t["uuid"] == uuid]
    assert token["last_used"] is not None


def test_a_read_only_pat_pulls_but_cannot_push(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage
) -> None:
    _, writer = pat(registry, "repo:write")
    _, reader = pat(registry, "repo:read")
    ok(push(skopeo, registry, oci_image, "alice/app", writer))
    assert digest_of(skopeo.inspect(registry.ref("alice/app"), creds=reader)) == (
        oci_image.manifest_digest
    )
    refused(push(skopeo, registry, oci_image, "alice/new", reader), DENIED)
    refused(skopeo.copy(oci_image.ref, registry.ref("alice/app", "v2"), creds=reader), DENIED)
    assert "alice/new" not in registry.hub.repositories()


def test_deactivating_and_activating_a_pat(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage
) -> None:
    uuid, creds = pat(registry, "repo:write")
    ok(push(skopeo, registry, oci_image, "alice/app", creds))
    registry.hub.set_token_active(uuid, False)
    refused(skopeo.inspect(registry.ref("alice/app"), creds=creds), BAD_LOGIN)
    refused(push(skopeo, registry, oci_image, "alice/app", creds), BAD_LOGIN)
    registry.hub.set_token_active(uuid, True)
    ok(skopeo.inspect(registry.ref("alice/app"), creds=creds))


def test_a_deleted_pat_is_unauthorized(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage, alice_password: str
) -> None:
    uuid, creds = pat(registry, "repo:admin")
    ok(push(skopeo, registry, oci_image, "alice/app", creds))
    registry.hub.delete_token(uuid)
    refused(skopeo.inspect(registry.ref("alice/app"), creds=creds), BAD_LOGIN)
    # The password still works, as on Docker Hub.
    ok(skopeo.inspect(registry.ref("alice/app"), creds=f"alice:{alice_password}"))


def test_public_read_and_anonymous_pull_public_repositories_only(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage
) -> None:
    _, writer = pat(registry, "repo:write")
    ok(push(skopeo, registry, oci_image, "alice/public", writer))
    ok(push(skopeo, registry, oci_image, "alice/private", writer))
    registry.hub.set_repository_public("alice/public", True)
    _, public_reader = pat(registry, "repo:public_read")
    for creds in (public_reader, None):
        ok(skopeo.inspect(registry.ref("alice/public"), creds=creds))
        refused(skopeo.inspect(registry.ref("alice/private"), creds=creds), DENIED)
    refused(push(skopeo, registry, oci_image, "alice/public", public_reader), DENIED)


def test_another_users_repositories(
    registry: RunningRegistry, skopeo: Skopeo, oci_image: OciImage
) -> None:
    registry.hub.add_user("bob", "bob-password")
    _, bob = pat(registry, "repo:admin", user="bob")
    ok(push(skopeo, registry, oci_image, "bob/tools", bob))
    _, alice = pat(registry, "repo:admin")
    refused(skopeo.inspect(registry.ref("bob/tools"), creds=alice), DENIED)
    refused(push(skopeo, registry, oci_image, "bob/tools", alice), DENIED)
    registry.hub.set_repository_public("bob/tools", True)
    ok(skopeo.inspect(registry.ref("bob/tools"), creds=alice))
    refused(push(skopeo, registry, oci_image, "bob/tools", alice), DENIED)


def test_only_an_admin_pat_deletes(
    registry: RunningRegistry, skopeo: Skopeo, tmp_path: Path
) -> None:
    _, writer = pat(registry, "repo:write")
    _, admin = pat(registry, "repo:admin")
    image = make_oci_image(tmp_path / "img", content=b"to be deleted\n")
    ok(push(skopeo, registry, image, "alice/app", writer))
    refused(skopeo.delete(registry.ref("alice/app"), creds=writer), "authentication required")
    ok(skopeo.delete(registry.ref("alice/app"), creds=admin))
    refused(skopeo.inspect(registry.ref("alice/app"), creds=admin), "manifest unknown")


# -- the token format, straight at the registry ----------------------------------------


def _catalog(registry: RunningRegistry, token: str) -> int:
    parts = urlsplit(registry.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request("GET", "/v2/_catalog", headers={"Authorization": f"Bearer {token}"})
        return conn.getresponse().status
    finally:
        conn.close()


def _claims(registry: RunningRegistry) -> dict[str, object]:
    now = int(registry.hub.config.clock().timestamp())
    return {
        "iss": registry.auth.issuer,
        "sub": "alice",
        "aud": registry.auth.service,
        "exp": now + 60,
        "nbf": now,
        "iat": now,
        "jti": "test",
        "access": [{"type": "registry", "name": "catalog", "actions": ["*"]}],
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_registry_takes_the_kid_alone_and_refuses_other_keys(
    registry: RunningRegistry, tmp_path: Path
) -> None:
    """x5c is what the registry checks first; the libtrust kid must work on its own too."""
    signer = registry.hub.registry_signer()
    assert _catalog(registry, signer.encode(_claims(registry))) == 200
    header = _b64(json.dumps({"typ": "JWT", "alg": signer.algorithm, "kid": signer.kid}).encode())
    signing_input = header + "." + _b64(json.dumps(_claims(registry)).encode())
    kid_only = signing_input + "." + _b64(signer.sign(signing_input.encode()))
    assert _catalog(registry, kid_only) == 200

    stranger = load_or_create(tmp_path / "stranger")
    assert _catalog(registry, stranger.encode(_claims(registry))) == 401
    wrong_audience = {**_claims(registry), "aud": "registry.docker.io"}
    assert _catalog(registry, signer.encode(wrong_audience)) == 401
