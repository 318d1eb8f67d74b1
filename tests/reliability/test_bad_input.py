"""Bad input, property-based: the CLI's arguments, whatever bytes a hub answers with, and
whatever a client sends localhub. No traceback, no hang, a clear error, nothing written.

(The credential helper's stdin is fuzzed by tests/credhelper/test_fuzz.py against the real
program and gnome-keyring; the hub models' ``from_json`` by tests/core/hub/test_models_fuzz.py.)
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import secrets
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring.core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubtokens.cli.main import main as cli_main
from hubtokens.core.errors import HubTokensError
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import Scope, SessionToken, TwoFactorChallenge
from hubtokens.core.secret import Secret
from hubtokens.localhub import HubConfig, LocalHub
from tests.reliability.conftest import Tally, scaled
from tests.reliability.support import FaultyKeyring

EXAMPLES = scaled(60, 600)
EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}


# --- the CLI's arguments ---------------------------------------------------------------------

COMMANDS = (
    ["signin"],
    ["signout"],
    ["status"],
    ["sync"],
    ["token", "ls"],
    ["token", "create"],
    ["token", "inspect"],
    ["token", "rename"],
    ["token", "activate"],
    ["token", "deactivate"],
    ["token", "rm"],
    ["token", "print"],
    ["docker", "configure"],
    ["docker", "status"],
    ["docker", "login"],
    ["token"],
    ["docker"],
    ["nonsense"],
)
OPTIONS = (
    "--hub", "--json", "--debug", "--username", "-u", "--password-stdin", "--otp",
    "--keep-token", "--source", "--description", "--access", "--expires", "--registry",
    "--undo", "--yes", "-y", "--help", "-h", "--", "-",
)  # fmt: skip
values = st.one_of(
    st.text(max_size=40).filter(lambda t: t not in ("hub", "gui")),
    st.sampled_from(
        [
            "", " ", "alice", "never", "30d", "90d", "2099-01-01", "1999-12-31", "-1d",
            "public-read", "read", "read-write", "admin", "all", "auto", "manual",
            "http://example.com", "https://", "http://127.0.0.1:1", "ftp://x", "127.0.0.1:0",
            "docker.io", "x" * 101, "\x00", "é" * 50, "--", "0" * 36,
        ]
    ),
    st.uuids().map(str),
)  # fmt: skip
free_form = st.builds(
    lambda command, rest: [*command, *rest],
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(st.sampled_from(OPTIONS), values), max_size=6),
)
maybe = st.booleans()
# Well-formed commands with odd values: these get past argparse to the code behind it.
shaped = st.one_of(
    st.builds(
        lambda d, a, e: ["token", "create", "--description", d, "--access", a, "--expires", e],
        values,
        st.sampled_from(["public-read", "read", "read-write", "admin"]) | values,
        values,
    ),
    st.builds(lambda verb, u: ["token", verb, u], st.sampled_from(
        ["inspect", "activate", "deactivate"]), values),
    st.builds(lambda u, y: ["token", "rm", u, *(["--yes"] if y else [])], values, maybe),
    st.builds(lambda u, d: ["token", "rename", u, d], values, values),
    st.builds(lambda s: ["token", "ls", "--source", s], st.sampled_from(["all", "auto"]) | values),
    st.builds(
        lambda u, o: ["signin", "--username", u, "--password-stdin", *(["--otp", o] if o else [])],
        values,
        st.one_of(st.none(), values),
    ),
    st.builds(lambda h, c: ["--hub", h, *c], values, st.sampled_from(COMMANDS[:5])),
    st.builds(
        lambda r, u: ["docker", "configure", "--registry", r, *(["--undo"] if u else [])],
        values,
        maybe,
    ),
    st.builds(lambda c, j: [*c, *(["--json"] if j else [])], st.sampled_from(COMMANDS[:5]), maybe),
)  # fmt: skip
argvs = st.one_of(shaped, shaped, free_form)


@pytest.fixture
def short_code_hub(alice_password: str) -> Iterator[LocalHub]:
    """The usual hub, whose browser sign-in codes expire after a second: ``signin`` without a
    username waits for a person's approval, and here none comes."""
    with LocalHub(HubConfig(seed=0, device_code_lifetime=timedelta(seconds=1))) as hub:
        hub.add_user("alice", alice_password)
        yield hub


@pytest.fixture
def cli_world(
    tmp_path: Path, short_code_hub: LocalHub, alice_password: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A signed-in home for in-process runs of ``main``, with an in-memory keychain."""
    memory = FaultyKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    home = tmp_path / "home"
    monkeypatch.setenv("HUBTOKENS_HOME", str(home))
    monkeypatch.setenv("HUBTOKENS_HUB_URL", short_code_hub.url)
    monkeypatch.setenv("DOCKER_CONFIG", str(home / "docker"))
    world = {"home": home, "keyring": memory, "hub": short_code_hub, "password": alice_password}
    _sign_in(world)
    yield world
    memory.set_mode("ok")
    logging.getLogger().handlers.clear()  # main() configured logging for this process


def _sign_in(world: dict[str, Any]) -> None:
    sys.stdin = io.StringIO(world["password"])
    assert cli_main(["signin", "--username", "alice", "--password-stdin"]) == 0


def _snapshot(world: dict[str, Any]) -> tuple[Any, ...]:
    home: Path = world["home"]
    files = {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }
    files.pop("state/keeper.lock", None)
    tokens = [(t["uuid"], t["token_label"], t["is_active"]) for t in world["hub"].tokens("alice")]
    return files, dict(world["keyring"].items), tokens


@pytest.mark.timeout(scaled(120, 1200))
def test_any_cli_arguments_get_a_clear_answer_and_change_nothing_on_failure(
    cli_world: dict[str, Any], capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(argv=argvs)
    def check(argv: list[str]) -> None:
        if not (cli_world["home"] / "config" / "settings.json").read_text().count('"account"'):
            _sign_in(cli_world)  # an earlier example signed out: sign in again
        before = _snapshot(cli_world)
        sys.stdin = io.StringIO(cli_world["password"])  # only read with --password-stdin
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse: usage errors (2), --help (0)
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        seen[code] = seen.get(code, 0) + 1
        assert code in EXIT_CODES, (argv, code, err)
        if "--debug" not in argv:  # which asks for the traceback of what failed
            assert "Traceback" not in out + err, (argv, err)
        assert "unexpected error" not in err, (argv, err)
        if code != 0:
            assert err.strip(), (argv, "a failure must say why")
            assert _snapshot(cli_world) == before, (argv, "a failed command changed something")

    check()
    tally.record(
        "Bad input: random CLI arguments (in-process main(), signed in, local hub)",
        EXAMPLES,
        "every run ends with a documented exit code and a message; no traceback, no "
        "'unexpected error'; a failing command changes no file, keychain item or hub token",
        exit_codes={str(k): v for k, v in sorted(seen.items())},
    )


# --- whatever a hub answers ------------------------------------------------------------------


class _Scripted:
    """Answers every request with what the current example chose."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.cut = False  # promise more body than is sent, then hang up


@contextlib.contextmanager
def scripted_server() -> Iterator[tuple[str, _Scripted]]:
    script = _Scripted()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(script.status)
            for name, value in script.headers:
                self.send_header(name, value)
            extra = 10 if script.cut else 0
            self.send_header("Content-Length", str(len(script.body) + extra))
            self.end_headers()
            self.wfile.write(script.body)
            if script.cut:
                self.close_connection = True

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["uuid", "token", "token_label", "scopes", "is_active", "created_at", "expires_at",
             "last_used", "count", "next", "results", "detail", "message", "login_2fa_token",
             "access_token", "x"]
        ),
        children,
        max_size=6,
    ),
    max_leaves=12,
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{}", b"[]", b"null", b'{"token": ""}', b"<html>502</html>", b"\xff"]),
)
statuses = st.sampled_from([200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 503])
header_sets = st.lists(
    st.sampled_from(
        [
            ("Content-Type", "application/json"),
            ("Content-Type", "text/html"),
            ("Retry-After", "120"),
            ("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"),
            ("Retry-After", "soon"),
            ("X-Retry-After", "-5"),
            ("Location", "https://elsewhere.example/v2/access-tokens"),
            ("X-RateLimit-Limit", "abc"),
            ("X-RateLimit-Remaining", "-1"),
            ("X-RateLimit-Reset", "99999999999999999999"),
        ]
    ),
    max_size=3,
)


def _session() -> SessionToken:
    import base64
    import time

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"sub": "alice", "username": "alice", "exp": int(time.time()) + 3600}
    return SessionToken.from_jwt(f"{b64({'alg': 'none'})}.{b64(claims)}.{uuid.uuid4().hex}")


@pytest.mark.timeout(scaled(120, 1200))
def test_whatever_a_hub_answers_the_client_raises_only_its_own_errors(tally: Tally) -> None:
    session = _session()
    made_up = Secret(secrets.token_urlsafe(12))
    calls = {
        "login": lambda c: c.login("alice", made_up),
        "auth_token": lambda c: c.auth_token("alice", made_up),
        "login_2fa": lambda c: c.login_2fa(TwoFactorChallenge("alice", made_up), "123456"),
        "list_tokens": lambda c: c.list_tokens(session),
        "get_token": lambda c: c.get_token(session, str(uuid.uuid4())),
        "create_token": lambda c: c.create_token(session, "label", [Scope.PUBLIC_READ]),
        "update_token": lambda c: c.update_token(session, str(uuid.uuid4()), is_active=False),
        "delete_token": lambda c: c.delete_token(session, str(uuid.uuid4())),
    }
    outcomes: dict[str, int] = {}
    with scripted_server() as (url, script):
        client = HubClient(url, timeout=(2, 2))

        @settings(max_examples=EXAMPLES * 2, deadline=None, database=None)
        @given(
            call=st.sampled_from(sorted(calls)),
            status=statuses,
            headers=header_sets,
            body=bodies,
            cut=st.booleans(),
        )
        def check(
            call: str, status: int, headers: list[tuple[str, str]], body: bytes, cut: bool
        ) -> None:
            script.status, script.headers, script.body, script.cut = status, headers, body, cut
            try:
                calls[call](client)
                outcome = "answer"
            except HubTokensError as exc:
                assert exc.message and "Traceback" not in exc.message
                assert url not in exc.message  # no URLs (they may carry queries) in messages
                outcome = type(exc).__name__
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

        check()
    tally.record(
        "Bad input: any status, headers and bytes a hub answers (8 client calls, real HTTP)",
        EXAMPLES * 2,
        "the client returns a validated object or raises one of its own errors with a "
        "message that names no URL; nothing else escapes, nothing hangs",
        outcomes=outcomes,
    )


# --- whatever a client sends localhub --------------------------------------------------------

methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"])
paths = st.one_of(
    st.sampled_from(
        [
            "/v2/users/login", "/v2/users/2fa-login", "/v2/auth/token", "/v2/access-tokens",
            "/v2/access-tokens/", "/v2/access-tokens/00000000-0000-0000-0000-000000000000",
            "/v2/access-tokens?page=0&page_size=-1", "/v2/access-tokens?page=x",
            "/token?service=registry&scope=repository:a/b:pull", "/token?scope=%ZZ", "/",
            "//", "/v2/access-tokens/../users/login", "*",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60).map(
        lambda t: "/" + t
    ),
)  # fmt: skip
request_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(
        lambda label, scopes, expires: json.dumps(
            {"token_label": label, "scopes": scopes, "expires_at": expires}
        ).encode(),
        st.text(max_size=120),
        st.lists(st.text(max_size=20), max_size=3),
        st.one_of(st.none(), st.text(max_size=30), st.integers()),
    ),
)
lengths = st.one_of(st.none(), st.sampled_from(["-1", "abc", "999999", "0", "1e3", " 5"]))


def _raw_request(
    port: int, method: str, path: str, body: bytes, auth: str | None, length: str | None
) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if auth is not None:
        head.append(f"Authorization: {auth}")
    head.append(f"Content-Length: {length if length is not None else len(body)}")
    data = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.timeout(scaled(120, 1200))
def test_whatever_a_client_sends_localhub_answers_clearly(
    tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    statuses_seen: dict[str, int] = {}
    with LocalHub(HubConfig(requests_per_minute=1_000_000)) as hub:
        password = secrets.token_urlsafe(12)
        hub.add_user("alice", password)
        client = HubClient(hub.url)
        signed_in = client.login("alice", Secret(password))
        assert isinstance(signed_in, SessionToken)
        bearer = f"Bearer {signed_in.jwt.reveal()}"
        port = int(hub.url.rsplit(":", 1)[1])

        @settings(max_examples=EXAMPLES * 2, deadline=None, database=None)
        @given(
            method=methods,
            path=paths,
            body=request_bodies,
            auth=st.one_of(st.none(), st.just(bearer), st.text(max_size=40)),
            length=lengths,
        )
        def check(
            method: str, path: str, body: bytes, auth: str | None, length: str | None
        ) -> None:
            count = len(hub.tokens("alice"))
            auth = None if auth is None else "".join(c for c in auth if c.isprintable())
            reply = _raw_request(port, method, path, body, auth, length)
            status_line = reply.split(b"\r\n", 1)[0]
            key = status_line.split(b" ")[1].decode() if reply else "closed"
            statuses_seen[key] = statuses_seen.get(key, 0) + 1
            if reply:
                assert status_line.startswith(b"HTTP/1."), reply[:80]
                assert key != "500", (method, path, body[:80])
            created = key == "201"
            assert len(hub.tokens("alice")) == count + created, "a bad request changed the hub"

        with caplog.at_level(logging.ERROR, logger="hubtokens.localhub"):
            check()
        assert [r for r in caplog.records if r.name.startswith("hubtokens.localhub")] == []
    tally.record(
        "Bad input: raw HTTP requests to localhub (methods, paths, headers, bodies, "
        "Content-Length lies)",
        EXAMPLES * 2,
        "a well-formed HTTP answer (or a closed connection for an unframeable body), never a "
        "500 nor a logged traceback; only a well-formed create changes the hub",
        statuses=statuses_seen,
    )
