"""This checkout as ``pip install`` installs it: its wheel, in a venv of its own (no
dependencies, no network beyond pip's build of the wheel). The helper's launcher test and
bench/credhelper.py run the helper from there, as users get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 300  # seconds, for each pip step


def install_wheel(venv: Path, base_python: Path = Path(sys.executable)) -> Path:
    """Build the wheel (beside ``venv``) and install it into a new ``venv`` made from
    ``base_python``; its bin folder."""
    wheels = venv.parent / "wheels"
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--no-deps", "-w", str(wheels), str(REPO)]
    subprocess.run(build, check=True, timeout=TIMEOUT)
    subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(venv)], check=True)
    wheel = next(wheels.glob("hubtokens-*.whl"))
    install = ["--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index"]
    subprocess.run([*pip, *install, str(wheel)], check=True, timeout=TIMEOUT)
    return venv / "bin"
