"""How long ``get`` takes: ``docker-credential-hubtokens`` against Debian's Go helper.

Both read the same private gnome-keyring (started as the tests start it), each holding a
Docker Hub credential it stored itself, and run as the docker CLI runs them: a new process
per ``get``, the server URL on stdin. Runs alternate (Go, ours, ours with the app running) so
every helper sees the same machine state; the first ``--warmup`` rounds are not counted.
Ours is what ``pip install`` installs: the package is built into a wheel and installed into a
temporary venv (with its bytecode), so the helper is the ``bin/docker-credential-hubtokens``
launcher that skips site, as users get it, not the editable install's slower path; its venv is
made from this Python unless ``--pip-python`` names another. ``--frozen`` adds rows for the
PyInstaller bundle's helper (``make installer`` builds it into dist/), ``--installed`` for the
helper the .deb installs (``/usr/bin/docker-credential-hubtokens``: its launcher, which runs
the system python3.X or that frozen helper); the last column compares each with pip's launcher
on the same path, in the same rounds. "The app running" is the app's own server
(``credhelper/appserver.py``), started in this process as the app starts it, holding what it
loaded from the same keychain.

    python bench/credhelper.py [--runs 30] [--warmup 5] [--pip-python /usr/bin/python3]
        [--frozen dist/hubtokens/docker-credential-hubtokens]
        [--installed /usr/bin/docker-credential-hubtokens]

Needs dbus-daemon, gnome-keyring-daemon and docker-credential-secretservice (Debian package
golang-docker-credential-helpers). The goal (issue 4): ours at most 2.5x the Go helper's
median without the app, at most 1.0x with it; issue 10: the installed helper at most 1.05x
pip's launcher on both paths.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the keychain fixture lives in tests/

from tests.fixtures.keychain import SecretService  # noqa: E402
from tests.support.wheel_install import install_wheel  # noqa: E402

from hubtokens.core.dockerconfig import DOCKER_HUB_HUB_URL, DOCKER_HUB_SERVER, HELPER_PROGRAM  # noqa: E402
from hubtokens.core.paths import AppPaths  # noqa: E402
from hubtokens.core.secret import Secret  # noqa: E402
from hubtokens.core.settings import AccountRecord, Settings, SettingsStore  # noqa: E402
from hubtokens.core.vault import Vault  # noqa: E402
from hubtokens.credhelper.answers import load_credentials  # noqa: E402
from hubtokens.credhelper.appserver import server_for  # noqa: E402
from hubtokens.credhelper.appsocket import ask_app  # noqa: E402

GO_HELPER = "docker-credential-secretservice"
ACCOUNT = "bench"
PIP = f"`{HELPER_PROGRAM} get` (pip)"
KEYCHAIN, APP_RUNNING = "keychain", "app running"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--pip-python", type=Path, default=Path(sys.executable), help="the pip venv's Python"
    )
    parser.add_argument("--frozen", type=Path, help="also time this (PyInstaller-built) helper")
    parser.add_argument("--installed", type=Path, help="also time this installed (.deb) helper")
    args = parser.parse_args(argv)
    missing = [p for p in (GO_HELPER, "dbus-daemon", "gnome-keyring-daemon") if not shutil.which(p)]
    others = {"frozen (PyInstaller) helper": args.frozen, "installed helper": args.installed}
    others = {name: path for name, path in others.items() if path}
    missing += [str(path) for path in others.values() if not path.is_file()]
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hubtokens-bench-") as scratch:
        root = Path(scratch)
        ours = install_wheel(root / "venv", args.pip_python) / HELPER_PROGRAM
        (root / "keyring").mkdir()
        service = SecretService(root / "keyring")
        try:
            timings = _bench(service, root, ours, others, args.runs, args.warmup)
        finally:
            service.close()
    print(_table(timings, args.runs))
    return 0


def _bench(
    service: SecretService,
    root: Path,
    ours: Path,
    others: dict[str, Path],
    runs: int,
    warmup: int,
) -> dict[str, list[float]]:
    home = root / "home"
    env = {**service.subprocess_env(), "HUBTOKENS_HOME": str(home)}
    token = "dckr_pat_" + secrets.token_urlsafe(24)  # made up per run
    _sign_in(service, home, token)
    app_home = root / "app-home"  # its own socket; the same account and keychain item
    _sign_in(service, app_home, token)
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

    app_env = {**env, "HUBTOKENS_HOME": str(app_home)}
    commands = {f"`{GO_HELPER} get` (Go)": ([GO_HELPER, "get"], env)}
    for name, program in {PIP: ours, **others}.items():
        commands[f"{name}, {KEYCHAIN}"] = ([str(program), "get"], env)
        commands[f"{name}, {APP_RUNNING}"] = ([str(program), "get"], app_env)
    timings: dict[str, list[float]] = {name: [] for name in commands}
    with _running_app(app_env, app_home):
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
def _running_app(env: dict[str, str], home: Path) -> Iterator[None]:
    """The app's server, holding what the app loads from the keychain; checked to answer
    before and after the runs (a fallback to the keychain would pass unnoticed)."""
    from keyring.backends.SecretService import Keyring

    config_dir = str(AppPaths.under(home).config_dir)
    server = server_for(env, config_dir)
    if server is None:
        raise SystemExit("the app's server needs SO_PEERCRED (Linux)")
    server.start()
    server.hold(load_credentials(config_dir, Vault(Keyring()).get_item))
    try:
        _check_app_answers(env)
        yield
        _check_app_answers(env)
    finally:
        server.stop()


def _check_app_answers(env: dict[str, str]) -> None:
    if ask_app(env, DOCKER_HUB_SERVER, time.monotonic() + 2) is None:
        raise SystemExit("the app's server did not answer")


def _table(timings: dict[str, list[float]], runs: int) -> str:
    medians = {name: statistics.median(samples) for name, samples in timings.items()}
    go_median = next(iter(medians.values()))
    pip_median = {path: medians[f"{PIP}, {path}"] for path in (KEYCHAIN, APP_RUNNING)}
    lines = [
        f"`get` for {DOCKER_HUB_SERVER}, a new process each time, {runs} runs each "
        f"(after warm-up), {os.cpu_count()} CPUs:",
        "",
        "| helper | median | p95 | median vs Go | vs pip, same path |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, samples in timings.items():
        ordered = sorted(samples)
        p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank
        median = medians[name]
        path = name.rpartition(", ")[2]
        vs_pip = f"{median / pip_median[path]:.2f}x" if path in pip_median else ""
        lines.append(
            f"| {name} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms "
            f"| {median / go_median:.2f}x | {vs_pip} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
