"""How fast the desktop app starts, and how much memory it holds once idle.

Each run starts ``hubtokens-gui --self-check IDLE`` as a new process with an empty profile and
times it from the launch to the moment the app reports its tray icon in place (with a tray
host) or its window shown (without one); after IDLE seconds of doing nothing the app reports
its resident memory. One warm-up run is not counted. Scenarios:

* offscreen, no tray: the window is shown (what CI and GNOME without AppIndicator get);
* offscreen ``--demo``: the same with the in-process demo hub, signed in as ``demo``;
* Xvfb + trayer (when both are installed): ``--background``, the icon embedded in the panel.

    python bench/gui_startup.py [--runs 7] [--idle 2]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

START_SECONDS = 10.0


@dataclass(frozen=True)
class Scenario:
    name: str
    args: tuple[str, ...]
    env: dict[str, str]


@dataclass(frozen=True)
class Run:
    start_ms: float
    rss_mib: float


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before the RSS")
    args = parser.parse_args(argv)

    offscreen = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    scenarios = [
        Scenario("offscreen, no tray: window shown", (), offscreen),
        Scenario("offscreen --demo: window shown, demo hub in-process", ("--demo",), offscreen),
    ]
    results: dict[str, list[Run]] = {}
    for scenario in scenarios:
        results[scenario.name] = _runs(scenario, args.runs, args.idle)
    if shutil.which("Xvfb") and shutil.which("trayer") and shutil.which("xwininfo"):
        with _x_with_tray() as display:
            env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
            scenario = Scenario(
                "Xvfb + trayer --background: icon in the tray", ("--background",), env
            )
            results[scenario.name] = _runs(scenario, args.runs, args.idle)
    print(_table(results, args.runs, args.idle))
    return 0


def _runs(scenario: Scenario, runs: int, idle: float) -> list[Run]:
    measured = []
    for number in range(runs + 1):  # run 0 warms the file cache and is not counted
        run = _run_once(scenario, idle)
        if number:
            measured.append(run)
    return measured


def _run_once(scenario: Scenario, idle: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="hubtokens-bench-") as home:
        command = [sys.executable, "-m", "hubtokens.gui.app", *scenario.args]
        env = {**scenario.env, "HUBTOKENS_HOME": home, "XDG_CONFIG_HOME": f"{home}/xdg-config"}
        launched = time.time()
        result = subprocess.run(
            [*command, "--self-check", str(idle)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    shown, idle_report = (json.loads(line) for line in result.stdout.splitlines())
    return Run((shown["time"] - launched) * 1000, idle_report["rss_kib"] / 1024)


@contextmanager
def _x_with_tray() -> Iterator[str]:
    """An Xvfb on a free display with trayer as its tray host."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    processes = [xvfb]
    try:
        with os.fdopen(read_end) as display_fd:
            ready, _, _ = select.select([display_fd], [], [], START_SECONDS)
            display = ":" + (display_fd.readline().strip() if ready else "")
        env = {**os.environ, "DISPLAY": display}
        processes.append(
            subprocess.Popen(
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                 "--height", "24", "--SetDockType", "true"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while (
            '"panel"'
            not in subprocess.run(
                ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True, check=False
            ).stdout
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("trayer did not start")
            time.sleep(0.05)
        yield display
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)


def _table(results: dict[str, list[Run]], runs: int, idle: float) -> str:
    lines = [
        f"Start of `hubtokens-gui` ({runs} runs each after one warm-up; medians, range in brackets;"
        f" memory after {idle:g} s idle):",
        "",
        "| scenario | launch → shown | idle RSS |",
        "|---|---|---|",
    ]
    for name, measured in results.items():
        starts = [run.start_ms for run in measured]
        rss = [run.rss_mib for run in measured]
        lines.append(
            f"| {name} | {statistics.median(starts):.0f} ms ({min(starts):.0f}–{max(starts):.0f})"
            f" | {statistics.median(rss):.0f} MiB |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
