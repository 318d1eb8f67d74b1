"""How long ``get`` takes: ``docker-credential-hubtokens`` against Debian's Go helper.

Both read the same private gnome-keyring (started as the tests start it), each holding a
Docker Hub credential it stored itself, and run as the docker CLI runs them: a new process
per ``get``, the server URL on stdin. Runs alternate (Go, ours, ours through a stand-in for
the running app) so every helper sees the same machine state; the first ``--warmup`` rounds
are not counted. Python gets a bytecode cache (in a temporary folder), as an installed program
has; the stand-in app answers from memory over the helper's socket, as the app will.

    python bench/credhelper.py [--runs 30] [--warmup 5]

Needs dbus-daemon, gnome-keyring-daemon and docker-credential-secretservice (Debian package
golang-docker-credential-helpers). The goal (issue 4): ours at most 2.5x the Go helper's
median without the app, at most 1.0x with it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the keychain fixture lives in tests/

from tests.fixtures.keychain import SecretService  # noqa: E402

from hubtokens.core.dockerconfig import DOCKER_HUB_HUB_URL, DOCKER_HUB_SERVER, HELPER_PROGRAM  # noqa: E402
from hubtokens.core.paths import AppPaths  # noqa: E402
from hubtokens.core.secret import Secret  # noqa: E402
from hubtokens.core.settings import AccountRecord, Settings, SettingsStore  # noqa: E402
from hubtokens.core.vault import Vault  # noqa: E402
from hubtokens.credhelper.appsocket import socket_path  # noqa: E402

GO_HELPER = "docker-credential-secretservice"
OURS = Path(sys.executable).parent / HELPER_PROGRAM
ACCOUNT = "bench"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    missing = [p for p in (GO_HELPER, "dbus-daemon", "gnome-keyring-daemon") if not shutil.which(p)]
    if missing or not OURS.exists():
        print(f"missing: {', '.join(missing or [str(OURS)])}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hubtokens-bench-") as scratch:
        root = Path(scratch)
        (root / "keyring").mkdir()
        service = SecretService(root / "keyring")
        try:
            timings = _bench(service, root, args.runs, args.warmup)
        finally:
            service.close()
    print(_table(timings, args.runs))
    return 0


def _bench(service: SecretService, root: Path, runs: int, warmup: int) -> dict[str, list[float]]:
    home = root / "home"
    env = {**service.subprocess_env(), "HUBTOKENS_HOME": str(home)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    token = "dckr_pat_" + secrets.token_urlsafe(24)  # made up per run
    _sign_in(service, home, token)
    stored = subprocess.run(
        [GO_HELPER, "store"],
        input=json.dumps({"ServerURL": DOCKER_HUB_SERVER, "Username": ACCOUNT, "Secret": token}),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if stored.returncode:
        raise SystemExit(f"{GO_HELPER} store failed: {stored.stdout}{stored.stderr}")

    answer = json.dumps(
        {"ServerURL": DOCKER_HUB_SERVER, "Username": ACCOUNT, "Secret": token},
        separators=(",", ":"),
    )
    commands = {
        f"`{GO_HELPER} get` (Go)": ([GO_HELPER, "get"], env),
        f"`{HELPER_PROGRAM} get`, keychain": ([str(OURS), "get"], env),
    }
    app_env = {**env, "HUBTOKENS_HOME": str(root / "app-home")}
    app_command = f"`{HELPER_PROGRAM} get`, app running (stand-in)"
    commands[app_command] = ([str(OURS), "get"], app_env)
    timings: dict[str, list[float]] = {name: [] for name in commands}
    with _stand_in_app(app_env, f"0\n{answer}\n".encode()):
        for round_ in range(warmup + runs):
            for name, (command, command_env) in commands.items():
                started = time.perf_counter()
                result = subprocess.run(
                    command,
                    input=DOCKER_HUB_SERVER,
                    env=command_env,
                    capture_output=True,
                    text=True,
                )
                elapsed = time.perf_counter() - started
                if result.returncode or json.loads(result.stdout)["Secret"] != token:
                    raise SystemExit(f"{name} failed: {result.stdout}{result.stderr}")
                if round_ >= warmup:
                    timings[name].append(elapsed)
    return timings


def _sign_in(service: SecretService, home: Path, token: str) -> None:
    """What ``hubtokens signin`` leaves for the helper: a settings record and the token."""
    from keyring.backends.SecretService import Keyring

    os.environ.update(service.env)  # keyring finds the private bus through the environment
    Vault(Keyring()).put_auto_token(DOCKER_HUB_HUB_URL, ACCOUNT, Secret(token))
    record = AccountRecord(hub_url=DOCKER_HUB_HUB_URL, account=ACCOUNT)
    SettingsStore(AppPaths.under(home).settings_file).save(Settings().with_account(record))


@contextmanager
def _stand_in_app(env: dict[str, str], reply: bytes) -> Iterator[None]:
    """Listens where the app will and answers every ``get`` from memory."""
    path = Path(socket_path(env) or "")
    path.parent.mkdir(parents=True, mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                while connection.recv(4096):
                    pass
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(timeout=5)


def _table(timings: dict[str, list[float]], runs: int) -> str:
    go_median = statistics.median(next(iter(timings.values())))
    lines = [
        f"`get` for {DOCKER_HUB_SERVER}, a new process each time, {runs} runs each "
        f"(after warm-up), {os.cpu_count()} CPUs:",
        "",
        "| helper | median | p95 | median vs Go |",
        "|---|---:|---:|---:|",
    ]
    for name, samples in timings.items():
        ordered = sorted(samples)
        p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank
        median = statistics.median(ordered)
        lines.append(
            f"| {name} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms | {median / go_median:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
