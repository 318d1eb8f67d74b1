"""How long a person waits from "Approve" in the browser to "Signed in" in the terminal.

Runs the real ``hubtokens signin`` (no username: the browser's device flow) against a local
Hub and a private gnome-keyring, approves the code the program prints at a random moment (as a
person would: up to one poll interval after the code appears), and times approval to the
program's exit. Two local Hubs side by side, runs interleaved: one polled every 5 s (the
interval Docker's sign-in service asks for), one every 0.2 s, which leaves the sign-in's own
work (the token answer, desktop-generate, learning the new token's uuid, labelling it, the
keychain) nearly alone. Medians over several runs, printed as a markdown table.

    python bench/web_signin.py [--runs 7]

Needs dbus-daemon and gnome-keyring-daemon (as the tests do).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fixtures

from tests.fixtures.keychain import SecretService

from hubtokens.localhub import HubConfig, LocalHub

USER = "bench"
CODE = re.compile(r"code is: ([A-Z]{4}-[A-Z]{4})")
INTERVALS = {"polled every 5 s (Docker's interval)": 5.0, "polled every 0.2 s": 0.2}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="hubtokens-bench-") as scratch:
        root = Path(scratch)
        (root / "keyring").mkdir()
        service = SecretService(root / "keyring")
        hubs = {
            name: LocalHub(
                HubConfig(
                    device_poll_interval=timedelta(seconds=seconds), requests_per_minute=100_000
                )
            ).start()
            for name, seconds in INTERVALS.items()
        }
        try:
            for hub in hubs.values():
                hub.add_user(USER, password)
            timings: dict[str, list[float]] = {name: [] for name in hubs}
            for run in range(args.runs):
                for name, hub in hubs.items():
                    home = root / f"home-{run}-{len(timings[name])}-{id(hub)}"
                    wait = random.uniform(0, INTERVALS[name])
                    timings[name].append(_approval_to_signed_in(service, hub, home, wait))
        finally:
            for hub in hubs.values():
                hub.stop()
            service.close()
    print(_table(timings, args.runs))
    return 0


def _approval_to_signed_in(
    service: SecretService, hub: LocalHub, home: Path, person_takes: float
) -> float:
    env = {**service.subprocess_env(), "HUBTOKENS_HOME": str(home), "HUBTOKENS_HUB_URL": hub.url}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtokens", "signin", "--no-browser"],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    code = None
    while code is None and (line := process.stderr.readline()):
        found = CODE.search(line)
        code = found.group(1) if found else None
    if code is None:
        raise SystemExit(f"no code printed: {process.communicate()}")
    time.sleep(person_takes)  # the person reading the code and clicking through the page
    approved = time.perf_counter()
    hub.decide_device(code, USER)
    out, err = process.communicate(timeout=120)
    elapsed = time.perf_counter() - approved
    if process.returncode != 0 or "Signed in" not in out:
        raise SystemExit(f"sign-in failed: {err}")
    signed_out = subprocess.run(
        [sys.executable, "-m", "hubtokens", "signout"],
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    )
    if signed_out.returncode != 0:
        raise SystemExit(f"sign-out failed: {signed_out.stderr!r}")
    return elapsed


def _table(timings: dict[str, list[float]], runs: int) -> str:
    lines = [
        f"Approval to signed in, `hubtokens signin` through the browser ({runs} runs each, "
        "interleaved; median, min-max):",
        "",
        "| local Hub | median | min | max |",
        "|---|---|---|---|",
    ]
    for name, values in timings.items():
        lines.append(
            f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f} s | "
            f"{max(values):.2f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
