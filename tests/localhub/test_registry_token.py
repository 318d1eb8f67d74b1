"""GET /token, the registry token service: grants by credential, refusals, the JWT itself
(checked with `cryptography`, independently of the openssl signer), and the files
`hubtokens hub serve --registry-cert DIR` writes."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import stat
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from hubtokens.localhub import LocalHub
from hubtokens.localhub.accounts import ISSUER
from hubtokens.localhub.registry import SERVICE, Scope, parse_scopes
from hubtokens.localhub.signing import (
    SigningError,
    ecdsa_der_to_raw,
    libtrust_kid,
    load_or_create,
)
from tests.fixtures.localhub import HubClock, HubFactory
from tests.localhub.client import HubClient, Response

BAD_LOGIN = {"details": "incorrect username or password"}
ALL = "pull,push,delete"
KID = re.compile(r"[A-Z2-7]{4}(?::[A-Z2-7]{4}){11}")

# -- helpers -------------------------------------------------------------------------------


def basic(username: str, secret: str) -> str:
    return base64.b64encode(f"{username}:{secret}".encode()).decode()


def ask(
    client: HubClient,
    *scopes: str,
    creds: tuple[str, str] | None = None,
    service: str | None = SERVICE,
    authorization: str | None = None,
) -> Response:
    query: list[tuple[str, str]] = [] if service is None else [("service", service)]
    if creds is not None:
        query.append(("account", creds[0]))
    query += [("scope", scope) for scope in scopes]
    headers = {}
    if creds is not None:
        headers["Authorization"] = "Basic " + basic(*creds)
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.call("GET", "/token?" + urlencode(query), headers=headers)


def segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, claims, signature = token.split(".")
    return json.loads(segment(header)), json.loads(segment(claims)), segment(signature)


def access_of(reply: Response) -> dict[str, list[str]]:
    assert reply.status == 200, reply.body
    _, claims, _ = parts(reply.json()["token"])
    return {item["name"]: item["actions"] for item in claims["access"]}


def verify(token: str, cert_pem: bytes) -> dict[str, Any]:
    """The claims, after checking the signature against the certificate's key."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    header, claims, signature = parts(token)
    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    signed = token.rsplit(".", 1)[0].encode()
    if header["alg"] == "ES256":
        assert isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64
        r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
        der = utils.encode_dss_signature(r, s)
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises when wrong
    else:
        assert header["alg"] == "RS256" and isinstance(key, rsa.RSAPublicKey)
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    return claims


@pytest.fixture
def client(local_hub: LocalHub) -> HubClient:
    return HubClient(local_hub.url)


@pytest.fixture
def bob(local_hub: LocalHub) -> str:
    password = secrets.token_urlsafe(16)
    local_hub.add_user("bob", password)
    return password


# -- grants --------------------------------------------------------------------------------

REPOS = ("alice/app", "alice/pub", "bob/pub", "bob/secret")

# credential -> granted actions per repository when asking for pull,push,delete on each.
GRANTS: dict[str, dict[str, list[str]]] = {
    "password": {
        "alice/app": ["pull", "push", "delete"],
        "alice/pub": ["pull", "push", "delete"],
        "bob/pub": ["pull"],
        "bob/secret": [],
    },
    "repo:admin": {
        "alice/app": ["pull", "push", "delete"],
        "alice/pub": ["pull", "push", "delete"],
        "bob/pub": ["pull"],
        "bob/secret": [],
    },
    "repo:write": {
        "alice/app": ["pull", "push"],
        "alice/pub": ["pull", "push"],
        "bob/pub": ["pull"],
        "bob/secret": [],
    },
    "repo:read": {
        "alice/app": ["pull"],
        "alice/pub": ["pull"],
        "bob/pub": ["pull"],
        "bob/secret": [],
    },
    "repo:public_read": {
        "alice/app": [],
        "alice/pub": ["pull"],
        "bob/pub": ["pull"],
        "bob/secret": [],
    },
    "anonymous": {"alice/app": [], "alice/pub": ["pull"], "bob/pub": ["pull"], "bob/secret": []},
}


@pytest.mark.parametrize("credential", list(GRANTS))
def test_grants_by_credential(
    local_hub: LocalHub, client: HubClient, alice_password: str, bob: str, credential: str
) -> None:
    local_hub.set_repository_public("alice/app", False)
    local_hub.set_repository_public("alice/pub", True)
    local_hub.set_repository_public("bob/pub", True)
    local_hub.set_repository_public("bob/secret", False)
    creds: tuple[str, str] | None
    if credential == "anonymous":
        creds = None
    elif credential == "password":
        creds = ("alice", alice_password)
    else:
        creds = ("alice", local_hub.create_token("alice", "t", [credential])[1])
    reply = ask(client, *(f"repository:{repo}:{ALL}" for repo in REPOS), creds=creds)
    assert access_of(reply) == GRANTS[credential]
    _, claims, _ = parts(reply.json()["token"])
    assert claims["sub"] == ("" if creds is None else "alice")


def test_several_pat_scopes_add_up(local_hub: LocalHub, client: HubClient) -> None:
    _, secret = local_hub.create_token("alice", "t", ["repo:public_read", "repo:write"])
    assert access_of(ask(client, f"repository:alice/app:{ALL}", creds=("alice", secret))) == {
        "alice/app": ["pull", "push"]
    }


def test_own_repository_that_does_not_exist_yet(local_hub: LocalHub, client: HubClient) -> None:
    """Pull of one's own new repository is granted (the registry then says it is unknown);
    someone else's unknown repository is not theirs to see."""
    _, secret = local_hub.create_token("alice", "t", ["repo:read"])
    reply = ask(
        client, "repository:alice/new:pull", "repository:bob/new:pull", creds=("alice", secret)
    )
    assert access_of(reply) == {"alice/new": ["pull"], "bob/new": []}
    assert local_hub.repositories() == {}  # a pull grant creates nothing


def test_push_grant_creates_a_private_repository(local_hub: LocalHub, client: HubClient) -> None:
    _, reader = local_hub.create_token("alice", "r", ["repo:read"])
    _, writer = local_hub.create_token("alice", "w", ["repo:write"])
    assert access_of(ask(client, "repository:alice/app:pull,push", creds=("alice", reader))) == {
        "alice/app": ["pull"]
    }
    assert local_hub.repositories() == {}
    ask(client, "repository:alice/app:pull,push", creds=("alice", writer))
    assert local_hub.repositories() == {"alice/app": False}
    local_hub.set_repository_public("alice/app", True)
    ask(client, "repository:alice/app:push", creds=("alice", writer))
    assert local_hub.repositories() == {"alice/app": True}  # a later push keeps it public


def test_only_requested_actions_are_granted(
    local_hub: LocalHub, client: HubClient, alice_password: str
) -> None:
    reply = ask(client, "repository:alice/app:pull", creds=("alice", alice_password))
    assert access_of(reply) == {"alice/app": ["pull"]}


def test_repeated_and_space_separated_scopes_merge(
    local_hub: LocalHub, client: HubClient, alice_password: str
) -> None:
    reply = ask(
        client,
        "repository:alice/app:pull",
        "repository:alice/app:push repository:alice/other:delete",
        creds=("alice", alice_password),
    )
    assert access_of(reply) == {"alice/app": ["pull", "push"], "alice/other": ["delete"]}


def test_odd_scopes_grant_nothing(
    local_hub: LocalHub, client: HubClient, alice_password: str
) -> None:
    local_hub.set_repository_public("hello", True)
    reply = ask(
        client,
        "registry:catalog:*",  # not a repository
        "repository:Alice/App:pull",  # not a valid name
        "repository:alice/app:*",  # not an action we grant
        "nonsense",
        "repository:hello:pull,push",  # no namespace: nobody owns it; public, so pullable
        creds=("alice", alice_password),
    )
    assert access_of(reply) == {"alice/app": [], "hello": ["pull"]}


def test_no_scope_gives_a_token_with_no_access(client: HubClient, alice_password: str) -> None:
    """What `docker login` asks for: just proof that the credentials work."""
    assert access_of(ask(client, creds=("alice", alice_password))) == {}


def test_demo_seed_has_a_public_repository(local_hub: LocalHub, client: HubClient) -> None:
    local_hub.seed_demo()
    assert local_hub.repositories() == {"demo/hello": True}
    assert access_of(ask(client, "repository:demo/hello:pull,push")) == {"demo/hello": ["pull"]}


def test_scope_parsing() -> None:
    assert Scope.parse("repository(plugin):alice/app:pull") == Scope(
        "repository", "alice/app", ("pull",)
    )
    assert Scope.parse("repository:alice/app:") == Scope("repository", "alice/app", ())
    assert Scope.parse("repository:alice/app") is None
    assert Scope.parse(":x:pull") is None
    assert parse_scopes(["repository:a/b:pull,pull", "repository:a/b:push,pull"]) == [
        Scope("repository", "a/b", ("pull", "push"))
    ]


# -- the response and the JWT --------------------------------------------------------------


def test_response_and_jwt(local_hub: LocalHub, client: HubClient, hub_clock: HubClock) -> None:
    _, secret = local_hub.create_token("alice", "t", ["repo:write"])
    reply = ask(client, "repository:alice/app:pull,push", creds=("alice", secret))
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert "x-ratelimit-limit" in reply.headers  # rate limited like every other route
    body = reply.json()
    assert set(body) == {"token", "access_token", "expires_in", "issued_at"}
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == 300
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["issued_at"])
    issued = datetime.fromisoformat(body["issued_at"])
    assert abs(issued - hub_clock.now()) < timedelta(seconds=1)

    signer = local_hub.registry_signer()
    header, _, _ = parts(body["token"])
    assert header["alg"] == "ES256" and header["typ"] == "JWT"
    assert KID.fullmatch(header["kid"]) and header["kid"] == signer.kid
    assert base64.b64decode(header["x5c"][0]) == signer.cert_der

    claims = verify(body["token"], signer.cert_path.read_bytes())
    assert claims["iss"] == ISSUER
    assert claims["sub"] == "alice"
    assert claims["aud"] == SERVICE
    assert claims["nbf"] == claims["iat"] and claims["exp"] == claims["iat"] + 300
    assert abs(claims["iat"] - hub_clock.now().timestamp()) <= 1
    assert re.fullmatch(r"[0-9a-f-]{36}", claims["jti"])
    assert claims["access"] == [
        {"type": "repository", "name": "alice/app", "actions": ["pull", "push"]}
    ]
    second = ask(client, "repository:alice/app:pull", creds=("alice", secret)).json()["token"]
    assert parts(second)[1]["jti"] != claims["jti"]


def test_a_tampered_token_does_not_verify(
    local_hub: LocalHub, client: HubClient, alice_password: str
) -> None:
    cryptography = pytest.importorskip("cryptography.exceptions")
    token = ask(client, "repository:alice/app:pull", creds=("alice", alice_password)).json()[
        "token"
    ]
    header, claims, signature = token.split(".")
    forged_claims = json.loads(segment(claims))
    forged_claims["access"][0]["actions"] = ["pull", "push", "delete"]
    forged = ".".join(
        [
            header,
            base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("="),
            signature,
        ]
    )
    with pytest.raises(cryptography.InvalidSignature):
        verify(forged, local_hub.registry_signer().cert_path.read_bytes())


def test_signing_is_fast(local_hub: LocalHub) -> None:
    signer = local_hub.registry_signer()
    durations = []
    for i in range(15):
        start = time.perf_counter()
        signer.encode({"jti": str(i), "access": []})
        durations.append(time.perf_counter() - start)
    assert statistics.median(durations) < 0.020, durations


def test_the_throwaway_key_is_removed_on_stop(make_hub: HubFactory) -> None:
    hub = make_hub()
    key_dir = hub.registry_signer().key_path.parent
    assert key_dir.is_dir() and stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert hub.registry_signer() is hub.registry_signer()  # made once
    hub.stop()
    assert not key_dir.exists()


# -- refusals ------------------------------------------------------------------------------


def _refused(reply: Response) -> None:
    assert reply.status == 401, reply.body
    assert reply.json() == BAD_LOGIN
    assert re.fullmatch(
        r'Basic realm="http://127\.0\.0\.1:\d+/token"', reply.headers["www-authenticate"]
    )


@pytest.mark.parametrize("case", ["inactive", "expired", "deleted", "wrong-user"])
def test_unusable_pats_are_refused(
    local_hub: LocalHub, client: HubClient, hub_clock: HubClock, bob: str, case: str
) -> None:
    owner = "bob" if case == "wrong-user" else "alice"
    uuid, secret = local_hub.create_token(owner, "t", ["repo:admin"])
    if case == "inactive":
        local_hub.set_token_active(uuid, False)
    elif case == "expired":
        local_hub.set_token_expiry(uuid, hub_clock.now() - timedelta(seconds=1))
    elif case == "deleted":
        local_hub.delete_token(uuid)
    _refused(ask(client, "repository:alice/app:pull", creds=("alice", secret)))
    if case != "deleted":
        assert all(t["last_used"] is None for t in local_hub.tokens(owner))


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + basic("alice", "not-her-password"),
        "Basic " + basic("nobody", "whatever"),
        "Basic " + basic("alice", "dckr_pat_" + "x" * 27),  # a PAT nobody has
        "Basic " + basic("alice", ""),
        "Basic " + base64.b64encode(b"alice").decode(),  # no colon
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"alice:\xff\xfe").decode(),  # not UTF-8
        "Bearer something",
        "Basic",
    ],
)
def test_bad_credentials_are_refused(client: HubClient, authorization: str) -> None:
    _refused(ask(client, "repository:alice/app:pull", service=SERVICE, authorization=authorization))


def test_password_of_a_2fa_account_is_refused(make_hub: HubFactory) -> None:
    """As on Docker Hub: with 2FA on, the registry takes a PAT, never the password."""
    hub = make_hub()
    hub.add_user("carol", "carol-pw", otp_secret="JBSWY3DPEHPK3PXP")
    client = HubClient(hub.url)
    _refused(ask(client, "repository:carol/app:pull", creds=("carol", "carol-pw")))
    _, secret = hub.create_token("carol", "t", ["repo:read"])
    assert access_of(ask(client, "repository:carol/app:pull", creds=("carol", secret))) == {
        "carol/app": ["pull"]
    }


@pytest.mark.parametrize("service", [None, "", "registry.docker.io"])
def test_other_services_are_refused(client: HubClient, service: str | None) -> None:
    reply = ask(client, "repository:alice/app:pull", service=service)
    assert reply.status == 400
    assert SERVICE in reply.json()["details"]


def test_only_get(client: HubClient) -> None:
    assert client.call("POST", "/token", body=b"grant_type=password").status == 405


def test_rate_limited_like_other_routes(make_hub: HubFactory) -> None:
    client = HubClient(make_hub(requests_per_minute=2).url)
    assert [ask(client).status for _ in range(3)] == [200, 200, 429]


def test_a_pat_that_authenticates_is_marked_used(
    local_hub: LocalHub, client: HubClient, hub_clock: HubClock
) -> None:
    uuid, secret = local_hub.create_token("alice", "t", ["repo:public_read"])
    other, _ = local_hub.create_token("alice", "other", ["repo:read"])
    hub_clock.advance(60)
    # Even a token that grants nothing here was used to authenticate.
    assert access_of(ask(client, "repository:alice/app:pull", creds=("alice", secret))) == {
        "alice/app": []
    }
    used = {t["uuid"]: t["last_used"] for t in local_hub.tokens("alice")}
    assert datetime.fromisoformat(used[uuid]) == hub_clock.now()
    assert used[other] is None


# -- signing primitives --------------------------------------------------------------------


def test_ecdsa_der_to_raw() -> None:
    # r with a leading 0x00 (high bit set), s short: both come out as 32 bytes.
    r = b"\x00" + b"\x80" + b"\x01" * 31
    s = b"\x05"
    der = b"\x30" + bytes([4 + len(r) + len(s)]) + b"\x02" + bytes([len(r)]) + r + b"\x02\x01" + s
    raw = ecdsa_der_to_raw(der, 32)
    assert raw == r[1:] + b"\x00" * 31 + s
    with pytest.raises(SigningError):
        ecdsa_der_to_raw(b"\x31\x06\x02\x01\x01\x02\x01\x01", 32)


def test_libtrust_kid_shape() -> None:
    kid = libtrust_kid(b"any public key bytes")
    assert KID.fullmatch(kid), kid


def test_an_existing_rsa_key_signs_rs256(tmp_path: Path) -> None:
    folder = tmp_path / "rsa"
    folder.mkdir()
    subprocess.run(
        ["openssl", "genrsa", "-out", str(folder / "key.pem"), "1024"],
        check=True,
        capture_output=True,
    )
    signer = load_or_create(folder)
    assert signer.algorithm == "RS256"
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600  # tightened
    verify(signer.encode({"sub": "x"}), signer.cert_path.read_bytes())


def test_a_certificate_of_another_key_is_not_overwritten(tmp_path: Path) -> None:
    one, two = load_or_create(tmp_path / "one"), load_or_create(tmp_path / "two")
    foreign = two.cert_path.read_bytes()
    one.cert_path.write_bytes(foreign)
    with pytest.raises(SigningError, match="does not belong"):
        load_or_create(tmp_path / "one")
    assert one.cert_path.read_bytes() == foreign


# -- --registry-cert -----------------------------------------------------------------------

PROGRAM = [sys.executable, "-m", "hubtokens.localhub"]


def _serve_once(folder: Path, tmp_path: Path) -> tuple[str, str, str]:
    """Run `serve --demo --registry-cert FOLDER`: its URL, its registry line and a token
    for demo/hello it issued; then stop it."""
    env = {**os.environ, "HUBTOKENS_HOME": str(tmp_path / "home")}
    command = [*PROGRAM, "serve", "--demo", "--registry-cert", str(folder)]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            proc.stdout.readline()  # the demo account's hint
            info = proc.stdout.readline()
            token = ask(HubClient(url), "repository:demo/hello:pull").json()["token"]
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    return url, info, token


def test_serve_registry_cert_writes_the_files_and_reuses_the_key(tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    url, info, token = _serve_once(folder, tmp_path)
    assert info.startswith("Registry token service: ")
    assert f"{url}/token" in info and str(folder / "registry-auth.yml") in info
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600
    cert = (folder / "cert.pem").read_bytes()
    assert verify(token, cert)["access"] == [
        {"type": "repository", "name": "demo/hello", "actions": ["pull"]}
    ]

    yml = (folder / "registry-auth.yml").read_text()
    assert re.search(r"^auth:\n  token:\n", yml, re.M)
    fields = dict(re.findall(r'^    (\w+): (".*")$', yml, re.M))
    assert {k: json.loads(v) for k, v in fields.items()} == {
        "realm": f"{url}/token",
        "service": SERVICE,
        "issuer": ISSUER,
        "rootcertbundle": str((folder / "cert.pem").resolve()),
    }

    key = (folder / "key.pem").read_bytes()
    url2, _, token2 = _serve_once(folder, tmp_path)
    assert (folder / "key.pem").read_bytes() == key and (folder / "cert.pem").read_bytes() == cert
    assert verify(token2, cert)
    assert f"{url2}/token" in (folder / "registry-auth.yml").read_text()  # follows the hub


def test_serve_refuses_a_folder_whose_files_do_not_match(tmp_path: Path) -> None:
    load_or_create(tmp_path / "certs")
    other = load_or_create(tmp_path / "other")
    (tmp_path / "certs" / "cert.pem").write_bytes(other.cert_path.read_bytes())
    done = subprocess.run(
        [*PROGRAM, "serve", "--registry-cert", str(tmp_path / "certs")],
        env={**os.environ, "HUBTOKENS_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "cannot set up registry tokens" in done.stderr and "does not belong" in done.stderr
