"""Security: no secret anywhere it should not be, and the doors that must stay shut are shut.

The full scenario runs the real programs with known secrets — sign in (password), the desktop
app started (offscreen) and answering the credential helper over its socket, ``token print``
(reveal), ``token create`` (a manual token shown once), docker configured and the helper
asked, a rotation (deleted on the hub, recreated by ``sync``), sign out — with ``--debug``
where it makes the programs say the most. Then every file under HUBTOKENS_HOME (config, data,
cache, log, state, run), the docker config folder, the keychain daemon's home, every
stdout/stderr and every process's argv and environment seen while they ran are searched for
each secret. The only places a secret may appear are the outputs that exist to show it (the
helper's answer, ``token print``, ``token create``), and each of those shows only its own.

Forged session JWTs are sent to a running localhub over real HTTP: unsigned (alg none in
any spelling), signed with the wrong key or the wrong algorithm (the hub's own registry key
included), tampered, truncated, garbled, and correctly signed but expired or wrongly addressed.

Elsewhere in the suite (run by scripts/reliability.py for the RELIABILITY.md table):
clipboard clearing (tests/reliability/test_clipboard_x11.py on a real X server, and
tests/gui/test_clipboard.py offscreen), other users on the helper socket
(tests/credhelper/test_appserver.py), the JWT codec itself (tests/localhub/test_login.py,
test_primitives.py), http:// refusal rules (tests/core/hub/test_urls.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import socket
import string
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hubtokens.core import dockerconfig
from hubtokens.localhub import HubConfig, LocalHub, jwt
from hubtokens.localhub.accounts import HUB_CLAIM
from hubtokens.localhub.registry import SERVICE
from hubtokens.localhub.signing import RegistrySigner
from hubtokens.localhub.store import Store
from tests.fixtures.keychain import SecretService
from tests.fixtures.localhub import HubClock
from tests.localhub.client import HubClient
from tests.reliability.cliproc import BIN, CliHome
from tests.reliability.conftest import Tally, scaled
from tests.reliability.support import Instrumented, polled_hub
from tests.support.settings_file import age_creation_attempts

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

REGISTRY = "127.0.0.1:5999"
HELPER = BIN / dockerconfig.HELPER_PROGRAM
GUI = BIN / "hubtokens-gui"
SOURCE = str(Path(dockerconfig.__file__).parents[2])  # the src folder
PAT = re.compile(r"dckr_pat_[A-Za-z0-9_-]+")


@pytest.fixture
def local_hub(hub_clock: HubClock, alice_password: str) -> Iterator[LocalHub]:
    """The usual hub, its device sign-ins polled every second instead of five."""
    with polled_hub(alice_password, hub_clock.now) as hub:
        yield hub


class ProcessWatch:
    """Samples every process's argv and environment (/proc) until stopped."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}  # "pid:what" -> text
        self.ours = 0  # samples that caught one of our programs running
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or pid == me:
                    continue
                for what in ("cmdline", "environ"):
                    try:
                        raw = Path("/proc", pid, what).read_bytes()
                    except OSError:
                        continue
                    text = raw.replace(b"\0", b" ").decode("utf-8", "replace")
                    if what == "cmdline" and "hubtokens" in text:
                        self.ours += 1
                    self.seen[f"{pid}:{what}:{hash(text)}"] = text
            time.sleep(0.01)  # our programs live half a second or more


def _helper_get(home: CliHome) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(HELPER), "get"], input=REGISTRY, env=home.env, capture_output=True, text=True,
        timeout=20, check=False,
    )  # fmt: skip
    home.transcript += [result.stdout, result.stderr]
    return result


def _run_the_app_while(home: CliHome, during: list[subprocess.CompletedProcess[str]]) -> None:
    """Start the desktop app (offscreen), ask the helper while it answers, let it exit."""
    app = subprocess.Popen(
        [str(GUI), "--self-check", "2", "--debug"],
        env=home.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert app.stdout is not None
    shown = app.stdout.readline()  # the first self-check line: the app is up
    assert '"shown"' in shown, shown + app.communicate(timeout=30)[1]
    during.append(_helper_get(home))
    out, err = app.communicate(timeout=60)
    assert app.returncode == 0, err
    home.transcript += [shown + out, err]


def test_a_full_scenario_leaves_no_secret_in_files_logs_output_or_argv(
    home: CliHome,
    local_hub: LocalHub,
    alice_password: str,
    secret_service: SecretService,
    tally: Tally,
) -> None:
    intended: list[tuple[str, str]] = []  # (output, the one secret it exists to show)
    with ProcessWatch() as processes:
        assert home.sign_in(alice_password, "--debug").returncode == 0
        session, first = home.stored("session"), home.stored("auto-token")
        assert session and first
        assert home.run("docker", "configure", "--registry", REGISTRY).returncode == 0
        answered: list[subprocess.CompletedProcess[str]] = []
        _run_the_app_while(home, answered)
        answered.append(_helper_get(home))
        printed = home.run("token", "print")
        created = home.run("token", "create", "--description", "scan me", "--debug")
        assert printed.returncode == 0 and created.returncode == 0, created.stderr
        [manual] = PAT.findall(created.stdout)
        intended += [(r.stdout, first) for r in answered] + [(printed.stdout, first)]
        intended.append((created.stdout, manual))
        for args in (["token", "ls", "--debug"], ["status", "--json", "--debug"]):
            assert home.run(*args).returncode == 0
        # Rotate: deleted on the hub, recreated by the next sync.
        local_hub.delete_token(home.assert_one_working_token())
        age_creation_attempts(home.home, 11)
        assert home.run("sync", "--debug").returncode == 0
        second = home.stored("auto-token")
        assert second and second != first
        rotated = _helper_get(home)
        intended.append((rotated.stdout, second))
        assert home.run("docker", "status").returncode == 0
        assert home.run("signout", "--debug").returncode == 0
    assert home.stored("auto-token") is None and home.stored("session") is None

    secrets = {
        "password": alice_password,
        "session": session,
        "first auto token": first,
        "second auto token": second,
        "manual token": manual,
    }
    scanned = _assert_nowhere(secrets, home, secret_service, processes, intended)
    tally.record(
        "Security: full scenario (sign in, app answering the helper, reveal, create, "
        "rotate, sign out) then a scan for 5 known secrets",
        len(secrets),
        "in none of the files under HUBTOKENS_HOME (config, data, cache, log, state, run), "
        "the docker config or the keychain daemon's home; no stdout/stderr but the three "
        "meant to show a secret (each only its own); no process argv or environment",
        **scanned,
    )


def _assert_nowhere(
    secrets: dict[str, str],
    home: CliHome,
    secret_service: SecretService,
    processes: ProcessWatch,
    intended: list[tuple[str, str]],
) -> dict[str, int]:
    """No secret in any file under HUBTOKENS_HOME (the docker config lives there too) or the
    keychain daemon's home, any output, or any process's argv or environment; only the
    ``intended`` outputs show a secret, each its own. What was scanned, for the tally."""
    for output, allowed in intended:
        assert allowed in output, "an output that should show its secret did not"
        for name, secret in secrets.items():
            assert secret == allowed or secret not in output, f"{name} in an output"
    outputs = [text for text in home.transcript if text not in {o for o, _ in intended}]
    roots = [home.home, Path(secret_service.env["HOME"])]
    files = [p for root in roots for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    assert any(p.name == "hubtokens.log" for p in files), "the app wrote no log to scan"
    assert processes.ours > 0, "the process watch never saw our programs"
    found = []
    for name, secret in secrets.items():
        found += [f"{name} in output" for text in outputs if secret in text]
        found += [f"{name} in {p}" for p in files if secret.encode() in p.read_bytes()]
        found += [f"{name} in /proc" for text in processes.seen.values() if secret in text]
    assert found == []
    return {
        "files_scanned": len(files),
        "outputs_scanned": len(outputs) + len(intended),
        "process_snapshots": len(processes.seen),
    }


def test_a_web_session_leaves_no_refresh_or_access_token_in_files_logs_argv_or_environ(
    home: CliHome, local_hub: LocalHub, secret_service: SecretService, tally: Tally
) -> None:
    """A web sign-in, the app and several CLI runs (each renews the access token, rotating the
    refresh token), a token recreated by desktop-generate, sign-out: every device code,
    access, id and refresh token the sign-in service handed out, and both auto tokens, are
    searched for as in the password scenario above."""
    watch = Instrumented(local_hub)  # what the hub handed out: the real values
    intended: list[tuple[str, str]] = []  # (output, the one secret it exists to show)
    with ProcessWatch() as processes:
        signed_in = home.web_sign_in("--debug")
        assert signed_in.returncode == 0, signed_in.stderr
        first = home.stored("auto-token")
        kept_at_sign_in = home.stored("refresh-token")
        assert first and kept_at_sign_in
        assert home.run("docker", "configure", "--registry", REGISTRY).returncode == 0
        answered: list[subprocess.CompletedProcess[str]] = []
        _run_the_app_while(home, answered)
        intended += [(r.stdout, first) for r in answered]
        for args in (["sync", "--now", "--debug"], ["token", "ls", "--debug"]):
            assert home.run(*args).returncode == 0
        local_hub.delete_token(home.assert_one_working_token())
        recreated = home.run("sync", "--now", "--debug")
        assert recreated.returncode == 0, recreated.stdout + recreated.stderr
        second = home.stored("auto-token")
        assert second and second != first
        assert home.run("status", "--json", "--debug").returncode == 0
        assert home.run("signout", "--debug").returncode == 0
    watch.wait_idle()
    assert home.stored("refresh-token") is None and home.stored("auto-token") is None

    handed = watch.handed_out
    assert kept_at_sign_in in handed["refresh_token"]
    assert {first, second} <= set(handed["auto token"])
    # A renewal in the app and in each CLI run that manages tokens, each rotating.
    assert len(handed["refresh_token"]) >= 4 and len(handed["access_token"]) >= 4, handed.keys()
    secrets = {f"{kind} #{n}": s for kind, found in handed.items() for n, s in enumerate(found)}
    scanned = _assert_nowhere(secrets, home, secret_service, processes, intended)
    tally.record(
        "Security: web session (browser sign-in, the app, renewals, desktop-generate twice, "
        "sign out) then a scan for every secret the sign-in service and the Hub handed out",
        len(secrets),
        "no device code, access, id or refresh token, nor either auto token, in any file "
        "under HUBTOKENS_HOME (logs included) or the keychain daemon's home, any stdout/stderr "
        "(but the helper's answer, its own token only), or any process argv or environment",
        **scanned,
        refresh_tokens=len(handed["refresh_token"]),
        access_tokens=len(handed["access_token"]),
    )


# --- doors that must stay shut ---------------------------------------------------------------


def _outward_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.fixture
def outward() -> str:
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    return address


def test_tokens_never_travel_over_plain_http_to_a_hub_off_this_machine(
    home: CliHome, alice_password: str, outward: str, tally: Tally
) -> None:
    listener = socket.create_server((outward, 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    connections = 0
    try:
        for args in (
            ["signin", "--username", "alice", "--password-stdin"],
            ["token", "ls"],
            ["sync"],
        ):
            result = home.run("--hub", f"http://{outward}:{port}", *args, stdin=alice_password)
            assert result.returncode == 2, result.stderr
            assert "use https://" in result.stderr and "Traceback" not in result.stderr
            try:
                listener.accept()[0].close()
                connections += 1
            except TimeoutError:
                pass
    finally:
        listener.close()
    assert connections == 0, "something connected to the plain-http hub"
    tally.record(
        "Security: http:// hub on this machine's network address (a real listener)",
        3,
        "signin, token ls and sync refuse before connecting (exit 2, 'use https://'); the "
        "listener saw no connection, so no password or token left",
    )


def test_localhub_refuses_to_listen_off_loopback(outward: str, tally: Tally) -> None:
    for host in (outward, "0.0.0.0"):
        result = subprocess.run(
            [sys.executable, "-m", "hubtokens", "hub", "serve", "--host", host],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert result.returncode == 2 and "--allow-remote" in result.stderr, result.stderr
    tally.record(
        "Security: `hubtokens hub serve --host <network address>` / 0.0.0.0",
        2,
        "refused with exit 2 naming --allow-remote; nothing listens",
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
    reason="acting as another user needs root and a system python",
)
def test_another_user_gets_nothing_from_the_helper_or_the_apps_socket(
    home: CliHome, alice_password: str, tally: Tally
) -> None:
    assert home.sign_in(alice_password).returncode == 0
    assert home.run("docker", "configure", "--registry", REGISTRY).returncode == 0
    secret = home.stored("auto-token")
    assert secret
    app = subprocess.Popen(
        [str(GUI), "--self-check", "2"], env=home.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert app.stdout is not None and '"shown"' in app.stdout.readline()
    sock = home.home / "run" / "hubtokens" / "helper.sock"
    assert sock.exists()
    os.chmod(home.home.parent, 0o755)  # let nobody walk to the home, as a shared machine could
    os.chmod(home.home, 0o755)
    probe = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect({str(sock)!r}); s.sendall(b'get\\n{REGISTRY}\\n')\n"
        "    s.shutdown(socket.SHUT_WR); print(repr(s.recv(4096)))\n"
        "except OSError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    try:
        nobody_socket = subprocess.run(
            ["/usr/bin/python3", "-I", "-c", probe], user=65534, capture_output=True,
            text=True, timeout=10, cwd="/", check=False,
        )  # fmt: skip
        # The helper's own code, run by the system python (the venv lives in root's home).
        helper = f"import sys; sys.path.insert(0, {SOURCE!r}); from hubtokens.credhelper.main import main; sys.exit(main(['get']))"
        nobody_helper = subprocess.run(
            ["/usr/bin/python3", "-c", helper], input=REGISTRY, user=65534, env=home.env,
            capture_output=True, text=True, timeout=20, cwd="/", check=False,
        )  # fmt: skip
    finally:
        app.communicate(timeout=60)
    assert nobody_socket.stdout.strip() == "PermissionError", nobody_socket
    assert secret not in nobody_helper.stdout + nobody_helper.stderr
    assert nobody_helper.returncode == 1 and nobody_helper.stdout.strip(), nobody_helper
    tally.record(
        "Security: another user (uid 65534) while the app answers the helper",
        2,
        "cannot open the app's socket (owner-only folder); the real helper run as that user "
        "gets a one-line error, never the token",
    )


# --- forged session JWTs against localhub ----------------------------------------------------

JWT_ROW = "Security: forged and expired session JWTs against localhub over HTTP"
BASE_TOKENS = scaled(2, 16)
_DROP = object()  # a claim to leave out


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _segment(value: object) -> str:
    return _b64(json.dumps(value).encode())


def _claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(_unb64(token.split(".")[1]))
    return claims


def _hmac_signed(header: object, payload: object, key: bytes) -> str:
    """A JWS with any header and payload, HMAC-SHA256 signed: jwt.encode only writes HS256."""
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    digest = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


@dataclass(frozen=True)
class Forge:
    """What a forger could get hold of, plus the hub's real key for the correctly signed
    but invalid ones (which only prove the claim checks when the signature is right)."""

    key: bytes  # the hub's session key, read from its database
    signer: RegistrySigner  # the hub's registry token key pair
    public_keys: dict[str, bytes]  # the registry key's public forms, as HMAC keys
    registry_token: str  # a real ES256 token from GET /token
    now: int  # the hub clock, unix seconds


def _forgeries(base: str, other: str, forge: Forge, rng: random.Random) -> dict[str, str]:
    """Every forged variant of the real token ``base``; ``other`` is another user's real one.
    Names are the same for every base token, so they count the kinds."""
    head, body, sig = base.split(".")
    claims = _claims_of(base)
    other_claims = _claims_of(other)
    raw_sig = _unb64(sig)
    hs256 = {"alg": "HS256", "typ": "JWT"}
    variants: dict[str, str] = {}

    # Unsigned, or claiming an algorithm the hub does not use.
    for alg in ("none", "None", "NONE", "nOnE"):
        for what, signature in (
            ("no signature", ""),
            ("the real signature", sig),
            ("a random signature", _b64(secrets.token_bytes(32))),
        ):
            variants[f"alg {alg}, {what}"] = (
                f"{_segment({'alg': alg, 'typ': 'JWT'})}.{body}.{signature}"
            )
    variants["alg missing"] = f"{_segment({'typ': 'JWT'})}.{body}.{sig}"
    variants["alg null"] = f"{_segment({'alg': None, 'typ': 'JWT'})}.{body}.{sig}"
    variants["alg empty"] = f"{_segment({'alg': '', 'typ': 'JWT'})}.{body}.{sig}"
    # The real key and a valid HMAC, under an alg the hub must not take for HS256.
    for alg in ("hs256", "HS512", "HS384", "ES256", "RS256", "PS256"):
        variants[f"alg {alg}, HMAC by the real key"] = _hmac_signed(
            {"alg": alg, "typ": "JWT"}, claims, forge.key
        )

    # The wrong key.
    variants["HS256 by a random key"] = jwt.encode(claims, secrets.token_bytes(32))
    variants["HS256 by an empty key"] = jwt.encode(claims, b"")
    for form, public in forge.public_keys.items():  # RS/ES -> HS confusion
        variants[f"HS256 keyed with the registry {form}"] = jwt.encode(claims, public)
    variants["ES256 by the hub's own registry key"] = forge.signer.encode(claims)
    variants["a real registry token (ES256, GET /token)"] = forge.registry_token

    # The signature stripped, cut, flipped or borrowed.
    variants["signature stripped"] = f"{head}.{body}."
    variants["signature cut off (two segments)"] = f"{head}.{body}"
    for cut in (1, 4, len(sig) // 2, len(sig) - 1):
        variants[f"signature short by {cut}"] = f"{head}.{body}.{sig[:-cut]}"
    for n in range(3):
        flipped = bytearray(raw_sig)
        bit = rng.randrange(len(flipped) * 8)
        flipped[bit // 8] ^= 1 << (bit % 8)
        variants[f"signature bit-flipped ({n + 1})"] = f"{head}.{body}.{_b64(bytes(flipped))}"
    variants["signature padded with ="] = f"{head}.{body}.{sig}{'=' * (-len(sig) % 4)}"
    standard = base64.b64encode(raw_sig).rstrip(b"=").decode()
    if standard != sig:  # a signature with neither - nor _ is spelled alike in both alphabets
        variants["signature in the +/ alphabet"] = f"{head}.{body}.{standard}"
    variants["header padded with ="] = f"{head}{'=' * (-len(head) % 4) or '=='}.{body}.{sig}"
    variants["signature all zero"] = f"{head}.{body}.{_b64(bytes(len(raw_sig)))}"
    variants["signature twice"] = f"{head}.{body}.{sig}{sig}"
    variants["another session's signature"] = f"{head}.{body}.{other.split('.')[2]}"
    variants["another user's payload, this signature"] = f"{head}.{other.split('.')[1]}.{sig}"

    # Header or payload changed, not re-signed.
    def tampered(**changes: object) -> str:
        return f"{head}.{_segment({**claims, **changes})}.{sig}"

    variants["sub: another user"] = tampered(sub=other_claims["sub"])
    variants["sub and hub claim: another user"] = tampered(
        sub=other_claims["sub"], **{HUB_CLAIM: other_claims[HUB_CLAIM]}
    )
    variants["exp: a year later"] = tampered(exp=claims["exp"] + 365 * 86400)
    variants["username: another user"] = tampered(
        **{HUB_CLAIM: {**claims[HUB_CLAIM], "username": other_claims[HUB_CLAIM]["username"]}}
    )
    variants["jti: a new one"] = tampered(jti=str(uuid.uuid4()))
    variants["claim added"] = tampered(admin=True)
    variants["header re-spaced, same fields"] = (
        f"{_b64(json.dumps(hs256, indent=1).encode())}.{body}.{sig}"
    )
    variants["header with a kid"] = f"{_segment({**hs256, 'kid': 'registry'})}.{body}.{sig}"

    # Correctly signed by the hub's key, but expired or not meant for this hub.
    def signed(**changes: object) -> str:
        merged = {**claims, **changes}
        return jwt.encode({k: v for k, v in merged.items() if v is not _DROP}, forge.key)

    variants["expired: exp = now"] = signed(exp=forge.now)
    variants["expired a second ago"] = signed(exp=forge.now - 1)
    variants["expired a year ago"] = signed(
        iat=forge.now - 400 * 86400, exp=forge.now - 365 * 86400
    )
    variants["issued a week from now"] = signed(iat=forge.now + 7 * 86400)
    variants["not before a week from now"] = signed(nbf=forge.now + 7 * 86400)
    variants["not before a string"] = signed(nbf=str(forge.now))
    variants["exp missing"] = signed(exp=_DROP)
    variants["exp null"] = signed(exp=None)
    variants["exp a string"] = signed(exp=str(forge.now + 3600))
    variants["exp a float"] = signed(exp=forge.now + 3600.5)
    variants["exp true"] = signed(exp=True)
    variants["wrong issuer"] = signed(iss="https://hub.docker.com/")
    variants["no issuer"] = signed(iss=_DROP)
    variants["wrong audience"] = signed(aud="localhub-registry")
    variants["no audience"] = signed(aud=_DROP)
    variants["unknown user"] = signed(sub=str(uuid.uuid4()))
    variants["no sub"] = signed(sub=_DROP)
    variants["no hub claim"] = signed(**{HUB_CLAIM: _DROP})
    variants["hub claim without source"] = signed(
        **{HUB_CLAIM: {k: v for k, v in claims[HUB_CLAIM].items() if k != "source"}}
    )
    variants["hub claim not an object"] = signed(**{HUB_CLAIM: "alice"})
    variants["payload a JSON list"] = _hmac_signed(hs256, [claims], forge.key)
    variants["payload a JSON string"] = _hmac_signed(hs256, "alice", forge.key)

    # Garbage and the wrong number of segments.
    alphabet = string.ascii_letters + string.digits + "-_"
    variants["three random segments"] = ".".join(
        _b64(rng.randbytes(rng.randint(1, 60))) for _ in range(3)
    )
    variants["random text, no dots"] = "".join(rng.choices(alphabet, k=rng.randint(20, 200)))
    variants["random printable text"] = "".join(
        rng.choices(string.ascii_letters + string.digits + string.punctuation, k=80)
    )
    variants["header not JSON"] = f"{_b64(b'HS256')}.{body}.{sig}"
    variants["header a JSON list"] = f"{_b64(b'[]')}.{body}.{sig}"
    variants["header not base64"] = f"{head}!*.{body}.{sig}"
    variants["payload not JSON"] = f"{head}.{_b64(rng.randbytes(40))}.{sig}"
    variants["empty segments"] = ".."
    variants["one segment"] = head
    variants["four segments"] = f"{base}.{sig}"
    variants["trailing dot"] = f"{base}."
    variants["leading dot"] = f".{base}"
    variants["five segments"] = f"{head}.{head}.{body}.{body}.{sig}"
    return variants


def _management_calls(alice_token: str, bob_token: str) -> list[tuple[str, str, object]]:
    """Reads and writes a forged session could try: list, create, deactivate, delete, read."""
    return [
        ("GET", "/v2/access-tokens", None),
        ("POST", "/v2/access-tokens", {"token_label": "forged", "scopes": ["repo:admin"]}),
        ("PATCH", f"/v2/access-tokens/{alice_token}", {"is_active": False}),
        ("DELETE", f"/v2/access-tokens/{bob_token}", None),
        ("GET", f"/v2/access-tokens/{bob_token}", None),
    ]


@pytest.fixture
def jwt_hub(tmp_path: Path, hub_clock: HubClock, alice_password: str) -> Iterator[LocalHub]:
    """Like ``local_hub`` but on disk, so the test can read the session key from the hub's
    own database, and with budgets that cannot answer 429 before the JWT is looked at: a
    caller who is not signed in spends its address's budget, and a few hundred forged
    creates would use up the hour's 30."""
    config = HubConfig(
        data_dir=tmp_path / "hub", clock=hub_clock.now, seed=0,
        requests_per_minute=1_000_000, creates_per_hour=1_000_000,
    )  # fmt: skip
    with LocalHub(config) as hub:
        hub.add_user("alice", alice_password)
        yield hub


@pytest.mark.timeout(scaled(120, 600))
def test_forged_and_expired_session_jwts_are_refused_over_http(
    jwt_hub: LocalHub, tmp_path: Path, hub_clock: HubClock, alice_password: str, tally: Tally
) -> None:
    """Every variant gets 401 on every management call, and neither user's tokens change.

    Controls keep the test honest: the untouched tokens work before and after; the same
    claims signed by the hub's real key with a later exp work, so the refusals of correctly
    signed variants come from the claim checks, not from a signer that is off.
    """
    hub, client = jwt_hub, HubClient(jwt_hub.url)
    bob_password = secrets.token_urlsafe(16)
    hub.add_user("bob", bob_password)
    passwords = {"alice": alice_password, "bob": bob_password}
    alice_token, _ = hub.create_token("alice", "alice's", scopes=("repo:admin",))
    bob_token, _ = hub.create_token("bob", "bob's", scopes=("repo:admin",))
    hub.create_token("bob", "bob's inactive")
    hub.set_token_active(hub.create_token("alice", "alice's inactive")[0], False)

    def real_token(n: int) -> str:
        """Alternately a session (POST /v2/users/login) and an access token (/v2/auth/token)
        of alice or bob: both are session JWTs that manage tokens."""
        user = ("alice", "bob")[n // 2 % 2]
        if n % 2 == 0:
            return client.login(user, passwords[user])
        reply = client.call(
            "POST", "/v2/auth/token", {"identifier": user, "secret": passwords[user]}
        )
        assert reply.status == 200, reply.body
        token: str = reply.json()["access_token"]
        return token

    bases = [real_token(n) for n in range(BASE_TOKENS)]
    other_user = {"alice": "bob", "bob": "alice"}
    others = [
        client.login(name, passwords[name])
        for name in (other_user[_claims_of(base)[HUB_CLAIM]["username"]] for base in bases)
    ]
    basic = base64.b64encode(f"alice:{alice_password}".encode()).decode()
    registry = client.call(
        "GET", f"/token?service={SERVICE}&scope=repository:alice/app:pull,push",
        headers={"Authorization": f"Basic {basic}"},
    )  # fmt: skip
    assert registry.status == 200, registry.body
    signer = hub.registry_signer()
    spki = subprocess.run(
        ["openssl", "x509", "-in", str(signer.cert_path), "-noout", "-pubkey"],
        capture_output=True, timeout=20, check=True,
    ).stdout  # fmt: skip
    store = Store(tmp_path / "hub")  # a second connection to the hub's database, for its key
    try:
        key = store.signing_key()
    finally:
        store.close()
    forge = Forge(
        key=key,
        signer=signer,
        public_keys={
            "public key (PEM)": spki,
            "certificate (PEM)": signer.cert_path.read_bytes(),
            "certificate (DER)": signer.cert_der,
        },
        registry_token=registry.json()["token"],
        now=int(hub_clock.now().timestamp()),
    )
    calls = _management_calls(alice_token, bob_token)

    def status_with(token: str) -> int:
        return client.call("GET", "/v2/access-tokens", token=token).status

    for base in bases:
        assert status_with(base) == 200
        later = {**_claims_of(base), "exp": _claims_of(base)["exp"] + 86400}
        assert status_with(jwt.encode(later, key)) == 200, "the real key does not sign"

    before = (hub.tokens("alice"), hub.tokens("bob"))
    refused_as: dict[str, int] = {}  # the hub's reason -> requests
    kinds: set[str] = set()
    requests = 0

    def refused(name: str, token: str) -> None:
        nonlocal requests
        for method, path, payload in calls:
            reply = client.call(method, path, payload, token=token)
            requests += 1
            assert reply.status == 401, (name, token, method, path, reply.status, reply.body)
            detail = reply.json()["detail"]
            assert detail.startswith("Invalid token: "), detail
            reason = detail.removeprefix("Invalid token: ")
            refused_as[reason] = refused_as.get(reason, 0) + 1

    for n, (base, other) in enumerate(zip(bases, others, strict=True)):
        variants = _forgeries(base, other, forge, random.Random(n))
        kinds.update(variants)
        for name, token in variants.items():
            assert token != base, name
            refused(name, token)
        assert (hub.tokens("alice"), hub.tokens("bob")) == before, "a forged call changed a token"

    for base in bases:  # the real ones still work ...
        assert status_with(base) == 200
    hub_clock.advance(timedelta(days=30).total_seconds())  # ... until the hub clock passes exp
    for base in bases:
        refused("expired by the hub clock", base)
    kinds.add("expired by the hub clock")
    assert (hub.tokens("alice"), hub.tokens("bob")) == before
    assert status_with(client.login("alice", alice_password)) == 200  # the hub is fine
    assert not [entry for entry in hub.request_log if entry[2] >= 500]

    tally.record(
        JWT_ROW,
        requests,
        "every request 401 ('Invalid token…'): list, create, deactivate, delete and read "
        "alike; no token created, changed or deleted for either user. The real tokens work "
        "before and after, and are refused once expired by the hub clock",
        variants=len(kinds),
        base_tokens=len(bases),
        refused_as=refused_as,
    )
