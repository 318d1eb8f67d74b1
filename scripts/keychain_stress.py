#!/usr/bin/env python3
"""The keychain stress run (issue 10, part 4): ``docker-credential-hubtokens get`` across fresh
D-Bus sessions, interleaved with other Secret Service clients, every answer checked.

Each session is a private dbus-daemon with a gnome-keyring, started as the tests start them
(tests/fixtures/keychain.py). The app's auto token is written there as the app's keeper writes
it (the Vault over keyring's SecretService backend) and Docker's Go helper stores the same
credential; then at once, from ``--workers`` threads, rounds of: our helper's ``get`` and the Go
helper's ``get`` (docker-credential-secretservice) and ``secret-tool lookup``, each a new
process as docker runs a helper, and keyring's ``get_password`` in this process (a new
connection each time, as the app's vault reads). Our helper is this checkout's wheel installed
in a venv of its own, as pip installs it, unless ``--helper`` names another (the .deb's).

gnome-keyring's log counts how often it answered a connection's first call before it knew the
connection (``assertion 'client' failed``): before the fix our helper failed then with "Method
SearchItems is not implemented". The same race can make gnome-keyring abort (when the first
call is a property read, as libsecret's and keyring's can be); a session whose daemon dies
stops there, its rounds are made up in the next, and calls that were running as it died count
apart. The logs of every session where something failed are kept and named.

    python scripts/keychain_stress.py [--gets 10000] [--per-session 100] [--workers 3]
                                      [--helper PATH]

Prints per client the calls, failures (each distinct message once) and median time, then the
daemon's complaints and deaths and the wall time (about 9 minutes for the default 10,000 on 2
cores). Exits 1 when one of our gets failed while gnome-keyring was running. Needs dbus-daemon,
gnome-keyring-daemon, secret-tool (libsecret-tools) and docker-credential-secretservice
(golang-docker-credential-helpers).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the keychain fixture lives in tests/

from tests.fixtures.keychain import SecretService  # noqa: E402
from tests.support.wheel_install import install_wheel  # noqa: E402

from hubtokens.core.dockerconfig import DOCKER_HUB_HUB_URL, DOCKER_HUB_SERVER, HELPER_PROGRAM  # noqa: E402
from hubtokens.core.paths import AppPaths  # noqa: E402
from hubtokens.core.secret import Secret  # noqa: E402
from hubtokens.core.settings import AccountRecord, Settings, SettingsStore  # noqa: E402
from hubtokens.core.vault import SERVICE, Vault  # noqa: E402
from hubtokens.credhelper.keychain import AUTO_TOKEN, item_key  # noqa: E402

GO_HELPER = "docker-credential-secretservice"
ACCOUNT = "stress"
RACE_MARK = "assertion 'client' failed"
COMPLAINT = re.compile(r"(?P<level>CRITICAL|WARNING) \*\*: [\d:.]+: (?P<what>.*)")
CALL_TIMEOUT = 20.0

OURS = f"{HELPER_PROGRAM} get"
GO = f"{GO_HELPER} get"
SECRET_TOOL = "secret-tool lookup"
KEYRING = "keyring get_password (in this process)"
CLIENTS = (OURS, GO, SECRET_TOOL, KEYRING)


@dataclass
class Tally:
    """Calls, failures and times per client, shared by the worker threads. A failure of a call
    that was running when gnome-keyring died counts apart (``at_death``): no client can answer
    then, and the session stops."""

    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLIENTS, 0))
    failures: dict[str, dict[str, int]] = field(default_factory=lambda: {c: {} for c in CLIENTS})
    at_death: dict[str, dict[str, int]] = field(default_factory=lambda: {c: {} for c in CLIENTS})
    seconds: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLIENTS})
    daemon_log: dict[str, int] = field(default_factory=dict)  # gnome-keyring's complaints
    deaths: list[str] = field(default_factory=list)  # sessions whose gnome-keyring died
    kept_logs: Path | None = None  # the logs of sessions where something failed
    sessions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, client: str, elapsed: float, problem: str | None, daemon_died: bool) -> None:
        with self.lock:
            self.calls[client] += 1
            self.seconds[client].append(elapsed)
            if problem is not None:
                messages = (self.at_death if daemon_died else self.failures)[client]
                messages[problem] = messages.get(problem, 0) + 1

    def failed(self, client: str) -> int:
        """Failures while gnome-keyring was running."""
        return sum(self.failures[client].values())

    def all_failed(self) -> int:
        return sum(self.failed(c) + sum(self.at_death[c].values()) for c in CLIENTS)

    def keep_logs(self, session: Path) -> Path:
        """Copy a session's dbus-daemon and gnome-keyring logs where they outlive the run."""
        if self.kept_logs is None:
            self.kept_logs = Path(tempfile.mkdtemp(prefix="hubtokens-stress-logs-"))
        kept = self.kept_logs / f"session-{self.sessions + 1}"
        kept.mkdir()
        for log in session.glob("*.log"):
            shutil.copy(log, kept / log.name)
        return kept


@dataclass(frozen=True)
class Session:
    """The clients of one session; each call returns None or what was wrong."""

    env: dict[str, str]
    token: str
    helper: Path

    def clients(self) -> dict[str, Callable[[], str | None]]:
        from keyring.backends.SecretService import Keyring

        key = item_key(AUTO_TOKEN, ACCOUNT, DOCKER_HUB_HUB_URL)
        lookup = ["secret-tool", "lookup", "service", SERVICE, "username", key]
        return {
            OURS: lambda: self._run([str(self.helper), "get"], DOCKER_HUB_SERVER, self._credential),
            GO: lambda: self._run([GO_HELPER, "get"], DOCKER_HUB_SERVER, self._credential),
            SECRET_TOOL: lambda: self._run(lookup, "", self._plain),
            KEYRING: lambda: self._plain(Keyring().get_password(SERVICE, key) or ""),
        }

    def _run(self, argv: list[str], stdin: str, check: Callable[[str], str | None]) -> str | None:
        """A new process, as docker runs a credential helper."""
        try:
            result = subprocess.run(
                argv,
                input=stdin,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=CALL_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"no answer in {CALL_TIMEOUT:g} s"
        if result.returncode:
            return f"exit {result.returncode}: {' '.join((result.stdout + result.stderr).split())[:200]}"
        return check(result.stdout)

    def _credential(self, stdout: str) -> str | None:
        try:
            secret = json.loads(stdout)["Secret"]
        except (ValueError, KeyError, TypeError):
            return f"not a credential: {stdout.strip()[:200]}"
        return None if secret == self.token else "another secret"

    def _plain(self, answer: str) -> str | None:
        return None if answer.strip() == self.token else f"answered: {answer.strip()[:200]!r}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=10_000, help="our helper's gets in all")
    parser.add_argument("--per-session", type=int, default=100, help="our gets per session")
    parser.add_argument("--workers", type=int, default=3, help="threads running clients at once")
    parser.add_argument(
        "--helper", type=Path, help="the helper program (default: this checkout's wheel)"
    )
    args = parser.parse_args(argv)
    needed = [GO_HELPER, "secret-tool", "dbus-daemon", "gnome-keyring-daemon"]
    missing = [p for p in needed if not shutil.which(p)]
    if args.helper and not args.helper.is_file():
        missing.append(str(args.helper))
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hubtokens-stress-helper-") as scratch:
        if args.helper is None:  # as pip installs it, apart from the checkout's own venv
            args.helper = install_wheel(Path(scratch) / "venv") / HELPER_PROGRAM
        return _stress(args)


def _stress(args: argparse.Namespace) -> int:
    tally = Tally()
    started = time.monotonic()
    while tally.calls[OURS] < args.gets:
        _run_session(args, min(args.per_session, args.gets - tally.calls[OURS]), tally)
        if tally.sessions % 10 == 0 or tally.calls[OURS] >= args.gets:
            done = ", ".join(f"{c}: {tally.calls[c]} ({tally.failed(c)} failed)" for c in CLIENTS)
            print(
                f"[{time.monotonic() - started:6.0f} s] {tally.sessions} sessions; {done}",
                file=sys.stderr,
            )
    print(_report(tally, args, time.monotonic() - started))
    return 1 if tally.failed(OURS) else 0


def _run_session(args: argparse.Namespace, rounds: int, tally: Tally) -> None:
    """A fresh bus and gnome-keyring, the credential written, ``rounds`` rounds at once; fewer
    if gnome-keyring dies (the next session makes up for them)."""
    with tempfile.TemporaryDirectory(prefix="hubtokens-stress-") as scratch:
        root = Path(scratch)
        (root / "keyring").mkdir()
        service = SecretService(root / "keyring")
        failed_before = tally.all_failed()
        try:
            clients = _signed_in(service, root / "home", args.helper).clients()
            counter = itertools.count()
            daemon = service.keyring_process

            def work() -> None:
                while (n := next(counter)) < rounds:
                    shift = n % len(CLIENTS)  # each round in another order
                    for client in CLIENTS[shift:] + CLIENTS[:shift]:
                        if daemon.poll() is not None:
                            return
                        started = time.perf_counter()
                        problem = _problem(clients[client])
                        elapsed = time.perf_counter() - started
                        died = problem is not None and daemon.poll() is not None
                        tally.add(client, elapsed, problem, died)

            threads = [threading.Thread(target=work) for _ in range(args.workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for complaint in _complaints(service.keyring_log()):
                tally.daemon_log[complaint] = tally.daemon_log.get(complaint, 0) + 1
            status = daemon.poll()
            if status is not None or tally.all_failed() > failed_before:
                kept = tally.keep_logs(root / "keyring")
                if status is not None:
                    how = f"killed by {signal.Signals(-status).name}" if status < 0 else "exited"
                    tally.deaths.append(f"session {tally.sessions + 1}: {how} (logs: {kept})")
            tally.sessions += 1
        finally:
            service.close()


def _signed_in(service: SecretService, home: Path, helper: Path) -> Session:
    """What ``hubtokens signin`` leaves (the settings record, the keeper's keychain item), and
    the same credential stored by the Go helper."""
    from keyring.backends.SecretService import Keyring

    os.environ.update(service.env)  # keyring finds the private bus through the environment
    token = "dckr_pat_" + secrets.token_urlsafe(24)  # made up per session
    Vault(Keyring()).put_auto_token(DOCKER_HUB_HUB_URL, ACCOUNT, Secret(token))
    record = AccountRecord(hub_url=DOCKER_HUB_HUB_URL, account=ACCOUNT)
    SettingsStore(AppPaths.under(home).settings_file).save(Settings().with_account(record))
    env = {**service.subprocess_env(), "HUBTOKENS_HOME": str(home)}
    login = {"ServerURL": DOCKER_HUB_SERVER, "Username": ACCOUNT, "Secret": token}
    stored = subprocess.run(
        [GO_HELPER, "store"], input=json.dumps(login), env=env, capture_output=True, text=True
    )
    if stored.returncode:
        raise SystemExit(f"{GO_HELPER} store failed: {stored.stdout}{stored.stderr}")
    return Session(env, token, helper)


def _complaints(log: str) -> list[str]:
    """gnome-keyring's CRITICAL and WARNING lines, without the pid and time that prefix them:
    ``** (gnome-keyring-daemon:PID): CRITICAL **: HH:MM:SS.mmm: what``."""
    found = (COMPLAINT.search(line) for line in log.splitlines())
    return [f"{m['level']}: {m['what']}" for m in found if m]


def _problem(call: Callable[[], str | None]) -> str | None:
    try:
        return call()
    except Exception as exc:  # keyring raises its own errors; a failure to count, not a crash
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _report(tally: Tally, args: argparse.Namespace, wall: float) -> str:
    lines = [
        f"Keychain stress: {tally.sessions} fresh D-Bus sessions with gnome-keyring, up to "
        f"{args.per_session} rounds each from {args.workers} threads at once, "
        f"{os.cpu_count()} CPUs; helper {args.helper}",
        "",
        "| client | calls | failed | failed as gnome-keyring died | median |",
        "|---|---:|---:|---:|---:|",
    ]
    for client in CLIENTS:
        times = tally.seconds[client]
        median = f"{statistics.median(times) * 1000:.1f} ms" if times else "-"
        died = sum(tally.at_death[client].values())
        failed = tally.failed(client)
        lines.append(f"| `{client}` | {tally.calls[client]} | {failed} | {died} | {median} |")
    races = sum(n for line, n in tally.daemon_log.items() if RACE_MARK in line)
    lines += [
        "",
        f"gnome-keyring answered a first call before it knew the caller {races} times "
        f"(its log: {RACE_MARK}); it died in {len(tally.deaths)} of {tally.sessions} sessions.",
        f"Wall time: {wall:.0f} s.",
        "",
    ]
    for death in tally.deaths:
        lines.append(f"- gnome-keyring died in {death}")
    for line, count in sorted(tally.daemon_log.items(), key=lambda m: -m[1]):
        lines.append(f"- gnome-keyring logged {count}x: {line}")
    for client in CLIENTS:
        for kind, failures in (("failed", tally.failures), ("failed as it died", tally.at_death)):
            for message, count in sorted(failures[client].items(), key=lambda m: -m[1]):
                lines.append(f"- `{client}` {kind} {count}x: {message}")
    if tally.kept_logs:
        lines.append(f"\nLogs of the sessions where something failed: {tally.kept_logs}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
