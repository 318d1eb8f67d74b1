"""``bin/docker-credential-hubtokens`` as ``pip install`` installs it: Python without site.

The launcher is what keeps ``get`` with the app running under the Go helper's time (see
bench/credhelper.py), so these tests install the built wheel into a venv of its own, as a
user's install is, and check that the helper really starts ``python3 -I -S`` and finds the
package without site. The rest of the suite runs the editable install's copy of the same file,
which takes the fallback through site.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubtokens.core.dockerconfig import HELPER_PROGRAM
from hubtokens.credhelper.appsocket import socket_path
from tests.credhelper.conftest import new_token
from tests.credhelper.fake_app import FakeApp, answer
from tests.support.wheel_install import REPO, install_wheel

SITE_MARKER = "site-was-imported"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the wheel of this checkout; returns its bin folder."""
    root = tmp_path_factory.mktemp("launcher")
    venv = root / "venv"
    bin_folder = install_wheel(venv)
    # site imports sitecustomize: a marker file says the launcher fell back to site.
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (site_packages / "sitecustomize.py").write_text(
        f"open({str(root / SITE_MARKER)!r}, 'w').close()\n"
    )
    return bin_folder


def run(program: Path, *args: str, env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    result = subprocess.run(
        [str(program), *args], input=stdin, env=env, capture_output=True, text=True, timeout=20
    )
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[FakeApp, dict[str, str], str]]:
    """The app's stand-in answering one credential; the helper's environment; that answer."""
    env = {"HUBTOKENS_HOME": str(tmp_path / "home"), "PATH": os.environ.get("PATH", "")}
    path = Path(socket_path(env) or "")
    path.parent.mkdir(parents=True, mode=0o700)
    reply = f'{{"ServerURL":"docker.io","Username":"alice","Secret":"{new_token()}"}}\n'
    fake = FakeApp(path, answer(0, reply))
    yield fake, env, reply
    fake.close()


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED"), reason="the app's socket is Linux-only")
def test_the_installed_helper_answers_from_python_without_site(
    installed: Path, app: tuple[FakeApp, dict[str, str], str]
) -> None:
    fake, env, reply = app
    assert run(installed / HELPER_PROGRAM, "get", env=env, stdin="docker.io\n") == (0, reply, "")
    (command_line,) = fake.command_lines
    assert command_line[:3] == [str(installed / "python3"), "-I", "-S"]
    assert not (installed.parent.parent / SITE_MARKER).exists()


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED"), reason="the app's socket is Linux-only")
def test_a_symlink_to_the_helper_as_pipx_makes_runs_its_venv_python(
    installed: Path, app: tuple[FakeApp, dict[str, str], str], tmp_path: Path
) -> None:
    fake, env, reply = app
    link = tmp_path / "bin" / HELPER_PROGRAM
    link.parent.mkdir()
    link.symlink_to(installed / HELPER_PROGRAM)
    assert run(link, "get", env=env, stdin="docker.io") == (0, reply, "")
    assert fake.command_lines[0][:3] == [str(installed / "python3"), "-I", "-S"]


def test_the_installed_helper_without_the_app_reads_no_environment_python_settings(
    installed: Path, tmp_path: Path
) -> None:
    """-I: PYTHONPATH and friends cannot put other code into the helper that holds the token."""
    trap = tmp_path / "trap"
    trap.mkdir()
    (trap / "hubtokens").mkdir()
    (trap / "hubtokens" / "__init__.py").write_text(
        "raise SystemExit('imported from PYTHONPATH')\n"
    )
    env = {
        "HUBTOKENS_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(trap),
        "PATH": os.environ["PATH"],
    }
    code, out, _ = run(installed / HELPER_PROGRAM, "version", env=env)
    assert (code, out.split(" (")[0]) == (0, HELPER_PROGRAM)
    assert not (installed.parent.parent / SITE_MARKER).exists()


def test_without_python3_the_helper_says_so_in_one_line(tmp_path: Path) -> None:
    """Docker shows the helper's stdout: never an empty message, even for a broken install."""
    launcher = tmp_path / HELPER_PROGRAM
    launcher.write_bytes((REPO / "bin" / HELPER_PROGRAM).read_bytes())
    launcher.chmod(0o755)
    env = {"PATH": str(tmp_path / "nothing-here")}
    assert run(launcher, "get", env=env, stdin="docker.io") == (
        1,
        f"{HELPER_PROGRAM}: python3 was not found\n",
        "",
    )


def test_a_python3_without_the_package_is_named_in_one_line(tmp_path: Path) -> None:
    base = Path(getattr(sys, "_base_executable", sys.executable))
    probe = subprocess.run([base, "-c", "import hubtokens"], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip(f"{base} has hubtokens installed")
    launcher = tmp_path / HELPER_PROGRAM
    launcher.write_bytes((REPO / "bin" / HELPER_PROGRAM).read_bytes())
    launcher.chmod(0o755)
    (tmp_path / "python3").symlink_to(base)
    env = {"PATH": os.environ["PATH"]}
    assert run(launcher, "get", env=env, stdin="docker.io") == (
        1,
        f"{HELPER_PROGRAM}: Hub Tokens is not installed for {tmp_path / 'python3'}\n",
        "",
    )
