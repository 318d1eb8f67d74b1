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

Elsewhere in the suite (run by scripts/reliability.py for the RELIABILITY.md table):
clipboard clearing (tests/gui/test_clipboard.py), other users on the helper socket
(tests/credhelper/test_appserver.py), JWT checks (tests/localhub/test_login.py,
test_primitives.py), http:// refusal rules (tests/core/hub/test_urls.py).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubtokens.core import dockerconfig
from hubtokens.localhub import LocalHub
from tests.fixtures.keychain import SecretService
from tests.reliability.cliproc import BIN, CliHome
from tests.reliability.conftest import Tally
from tests.support.settings_file import age_creation_attempts

pytestmark = [pytest.mark.secret_service, pytest.mark.integration]

REGISTRY = "127.0.0.1:5999"
HELPER = BIN / dockerconfig.HELPER_PROGRAM
GUI = BIN / "hubtokens-gui"
SOURCE = str(Path(dockerconfig.__file__).parents[2])  # the src folder
PAT = re.compile(r"dckr_pat_[A-Za-z0-9_-]+")


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


@pytest.fixture
def home(tmp_path: Path, local_hub: LocalHub, secret_service: SecretService) -> Iterator[CliHome]:
    secret_service.restore()
    yield CliHome.make(tmp_path / "home", local_hub, secret_service, QT_QPA_PLATFORM="offscreen")
    secret_service.restore()


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
    tally.record(
        "Security: full scenario (sign in, app answering the helper, reveal, create, "
        "rotate, sign out) then a scan for 5 known secrets",
        len(secrets),
        "in none of the files under HUBTOKENS_HOME (config, data, cache, log, state, run), "
        "the docker config or the keychain daemon's home; no stdout/stderr but the three "
        "meant to show a secret (each only its own); no process argv or environment",
        files_scanned=len(files),
        outputs_scanned=len(outputs) + len(intended),
        process_snapshots=len(processes.seen),
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
