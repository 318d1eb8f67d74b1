"""The .deb's ``docker-credential-hubtokens`` (installer/linux/helper_tree.py): the system
Python runs the helper's modules with the bytecode the package ships, and the frozen helper
answers wherever that Python cannot.

Each test builds the helper's part of the package into a temporary tree laid out as the
package lays it out (PREFIX/helper, BINDIR/docker-credential-hubtokens), with real
interpreters. The frozen helper's place (PREFIX/docker-credential-hubtokens) holds the editable
install's helper, so a test sees by the process it became which one answered;
scripts/ci-installer.sh runs the real package, frozen helper included.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hubtokens.core.dockerconfig import DOCKER_HUB_SERVER, HELPER_PROGRAM
from hubtokens.core.vault import Vault
from hubtokens.credhelper.appsocket import socket_path
from tests.credhelper.conftest import REGISTRY, Helper, helper_env, new_token
from tests.credhelper.fake_app import FakeApp, answer
from tests.fixtures.keychain import SecretService
from tests.installer.conftest import INSTALLER, load

SYSTEM_PYTHON = Path("/usr/bin/python3")
STAND_IN = Path(sys.executable).parent / HELPER_PROGRAM  # in the frozen helper's place
NOT_FOUND = "credentials not found in native keychain\n"
TREE = load(INSTALLER / "linux" / "helper_tree.py", "hubtokens_installer_helper_tree")


def found_pythons() -> dict[tuple[int, int], Path]:
    """One interpreter per Python 3 version on this machine: Debian's first, then pyenv's
    (CI's machines carry several)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    folders = [Path("/usr/bin"), Path("/usr/local/bin"), *sorted(pyenv.glob("*/bin"))]
    found: dict[tuple[int, int], Path] = {}
    for folder in folders:
        for candidate in sorted(folder.glob("python3.*")):
            minor = re.fullmatch(r"python3\.(\d+)", candidate.name)
            if minor and os.access(candidate, os.X_OK):
                found.setdefault((3, int(minor[1])), candidate)
    return found


PYTHONS = found_pythons()


@dataclass
class Package:
    """The helper's part of an installed package, in a temporary folder."""

    prefix: Path
    launcher: Path
    said: str

    @property
    def tree(self) -> Path:
        return self.prefix / "helper"


def build(folder: Path, python: Path) -> Package:
    prefix = folder / "opt" / "hubtokens"
    prefix.mkdir(parents=True)
    (prefix / HELPER_PROGRAM).symlink_to(STAND_IN)
    bindir = folder / "usr" / "bin"
    said = TREE.build(Path("/"), python, str(prefix), str(bindir))
    return Package(prefix, bindir / HELPER_PROGRAM, said)


@dataclass
class Ran:
    program: str  # what the launcher became: the process's executable
    command_line: list[str]
    code: int
    out: str


def run(launcher: Path, action: str, env: dict[str, str], stdin: str = "") -> Ran:
    """Start the launcher as docker does and see what it became: every action reads stdin
    first, so the process waits there, already exec'd, until it gets its input."""
    shell = os.path.realpath("/bin/sh")
    process = subprocess.Popen(
        [str(launcher), action],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc = Path(f"/proc/{process.pid}")
    deadline = time.monotonic() + 20
    program, command_line = shell, []
    # The launcher is sh; so is the frozen helper's stand-in, until it starts Python. Within
    # an exec, the new program's arguments can show a moment after the program.
    while (program == shell or not command_line) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            program = os.readlink(proc / "exe")
            command_line = (proc / "cmdline").read_bytes().decode().split("\0")[:-1]
        except OSError:  # it exited meanwhile
            break
        time.sleep(0.002)
    out, err = process.communicate(stdin.encode(), timeout=20)
    assert not err, err.decode()
    return Ran(program, command_line, process.returncode, out.decode())


def private_python(folder: Path) -> Path:
    """The system Python's executable and standard library, in a folder of the test's own:
    its pieces can be taken away as a broken or partial install would lack them. Returns its
    ``python3``, beside its ``python3.X``."""
    probe = "import os, sys; print(sys.version_info[1], os.path.dirname(os.__file__))"
    result = subprocess.run(
        [str(SYSTEM_PYTHON), "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
    )
    minor, stdlib = result.stdout.split()
    bin_folder, lib = folder / "bin", folder / "lib" / f"python3.{minor}"
    bin_folder.mkdir(parents=True)
    lib.mkdir(parents=True)
    shutil.copy2(SYSTEM_PYTHON.resolve(), bin_folder / f"python3.{minor}")
    (bin_folder / "python3").symlink_to(f"python3.{minor}")
    for entry in Path(stdlib).iterdir():
        (lib / entry.name).symlink_to(entry)
    return bin_folder / "python3"


@contextmanager
def app_answering(env: dict[str, str]) -> Iterator[str]:
    """The app's stand-in, where a helper run with ``env`` asks it, answering one credential;
    yields that answer."""
    path = Path(socket_path(env) or "")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    reply = f'{{"ServerURL":"docker.io","Username":"alice","Secret":"{new_token()}"}}\n'
    fake = FakeApp(path, answer(0, reply))
    try:
        yield reply
    finally:
        fake.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """The helper's environment, and what the app's stand-in answers there."""
    env = {"HUBTOKENS_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    with app_answering(env) as reply:
        yield env, reply


@pytest.fixture
def system_python() -> Path:
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"no {SYSTEM_PYTHON}: the package would carry the frozen helper alone")
    try:
        return TREE.interpreter(SYSTEM_PYTHON).path
    except TREE.NoFastPath as reason:
        pytest.skip(f"the package would carry the frozen helper alone: {reason}")


# --- what the package holds -------------------------------------------------------------------


def test_the_tree_holds_the_helpers_modules_with_bytecode_for_its_python(
    system_python: Path, tmp_path: Path
) -> None:
    package = build(tmp_path, system_python)
    sources = {
        ".".join(path.relative_to(package.tree).with_suffix("").parts).removesuffix(".__init__")
        for path in package.tree.rglob("*.py")
    }
    assert sources == set(TREE.helper_modules())
    get_path = {"appsocket", "fastjson", "actions", "files", "keychain", "secretservice", "dbus"}
    assert {f"hubtokens.credhelper.{name}" for name in {"main", *get_path}} <= sources
    probe = (
        "import importlib.util as u, sys; print(sys.implementation.cache_tag, u.MAGIC_NUMBER.hex())"
    )
    tag, magic = subprocess.run(
        [str(system_python), "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    for source in package.tree.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        header = pyc.read_bytes()[:8]
        # PEP 552: the magic number of that Python, then flags 0b01: hash-based, unchecked.
        assert (header[:4].hex(), int.from_bytes(header[4:8], "little")) == (magic, 1), pyc
    assert not [
        p for p in package.tree.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}
    ]


def test_the_trees_modules_import_only_the_standard_library_and_each_other() -> None:
    """The layer rule, on everything the package's helper can import, lazy imports too: the
    system Python runs it without site, so a third-party import would fail there. Only the
    macOS/Windows branches (the keyring keychain, platformdirs' folders) name one."""
    modules = TREE.helper_modules()
    elsewhere_only = {
        "hubtokens.credhelper.keyringstore": {"keyring"},
        "hubtokens.core.paths": {"platformdirs"},
    }
    for name, source in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module, (name, "absolute imports only")
                imported.add(node.module)
        ours = {m for m in imported if m.split(".")[0] == "hubtokens"}
        assert ours <= set(modules), (name, ours - set(modules))
        outside = {m.split(".")[0] for m in imported - ours} - set(sys.stdlib_module_names)
        assert outside == elsewhere_only.get(name, set()), (name, outside)


# --- which helper answers ---------------------------------------------------------------------


def test_the_launcher_runs_the_system_python_isolated_without_site(
    system_python: Path,
    tmp_path: Path,
    app: tuple[dict[str, str], str],
) -> None:
    env, reply = app
    package = build(tmp_path, system_python)
    assert f"runs {system_python} (Python 3." in package.said
    ran = run(package.launcher, "get", env, stdin="docker.io\n")
    assert (ran.code, ran.out) == (0, reply)
    assert ran.program == os.path.realpath(system_python)
    assert ran.command_line[:5] == [str(system_python), "-I", "-S", "-B", "-c"]
    assert ran.command_line[-1] == "get"


def test_it_writes_no_bytecode_at_run_time(
    system_python: Path,
    tmp_path: Path,
    app: tuple[dict[str, str], str],
) -> None:
    """The package's folder is root's: a helper run as root must not add files dpkg does not
    know, nor compile at every start when a .pyc is missing."""
    env, reply = app
    package = build(tmp_path, system_python)
    (dropped,) = (package.tree / "hubtokens" / "credhelper" / "__pycache__").glob("appsocket.*.pyc")
    dropped.unlink()
    before = sorted(package.tree.rglob("*"))
    assert run(package.launcher, "get", env, stdin="docker.io").out == reply
    assert sorted(package.tree.rglob("*")) == before


def test_without_that_python_the_frozen_helper_answers(
    tmp_path: Path, app: tuple[dict[str, str], str]
) -> None:
    """The Python the package was built for is gone (removed, or upgraded to another
    version): the launcher names python3.X, so it finds nothing to run but the frozen helper."""
    env, reply = app
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"no {SYSTEM_PYTHON} to copy")
    python = private_python(tmp_path / "python")
    package = build(tmp_path, python)
    assert run(package.launcher, "get", env, stdin="docker.io").program == str(python.resolve())
    python.resolve().unlink()
    ran = run(package.launcher, "get", env, stdin="docker.io")
    assert (ran.code, ran.out) == (0, reply)
    assert ran.command_line[3:] == [str(STAND_IN.resolve()), "get"]  # the stand-in's Python


def test_with_a_partial_standard_library_the_frozen_helper_answers(
    tmp_path: Path, app: tuple[dict[str, str], str]
) -> None:
    """Debian's python3.X-minimal without libpython3.X-stdlib has no json (nor dataclasses,
    shutil, ctypes) for the helper."""
    env, reply = app
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"no {SYSTEM_PYTHON} to copy")
    python = private_python(tmp_path / "python")
    package = build(tmp_path, python)
    (stdlib,) = (tmp_path / "python" / "lib").iterdir()
    (stdlib / "json").unlink()
    ran = run(package.launcher, "get", env, stdin="docker.io")
    assert (ran.code, ran.out) == (0, reply)
    assert ran.command_line[3:] == [str(STAND_IN.resolve()), "get"]


def test_a_build_machine_without_a_usable_python_ships_the_frozen_helper_alone(
    tmp_path: Path, app: tuple[dict[str, str], str]
) -> None:
    env, reply = app
    missing = tmp_path / "no-python" / "python3"
    package = build(tmp_path, missing)
    assert package.said == (
        f"{package.launcher} is the frozen helper alone: {missing} cannot run "
        "(No such file or directory)"
    )
    assert os.readlink(package.launcher) == str(package.prefix / HELPER_PROGRAM)
    assert not package.tree.exists()
    assert run(package.launcher, "get", env, stdin="docker.io").out == reply


# --- the oldest Python it runs on -------------------------------------------------------------

MIN_PYTHON = TREE.MIN_PYTHON
SUPPORTED = sorted(version for version in PYTHONS if version >= MIN_PYTHON)
JUST_BELOW = (MIN_PYTHON[0], MIN_PYTHON[1] - 1)


@pytest.mark.secret_service
@pytest.mark.parametrize("version", SUPPORTED, ids=lambda v: f"{v[0]}.{v[1]}")
def test_every_action_round_trips_on_gnome_keyring(
    version: tuple[int, int],
    tmp_path: Path,
    secret_service: SecretService,
    secret_service_vault: Vault,
) -> None:
    """Each Python from MIN_PYTHON on that this machine has, as the package's helper: the
    keychain (the app's auto token, a docker login stored, listed and erased) and the app."""
    python = PYTHONS[version]
    package = build(tmp_path, python)
    home = tmp_path / "hubtokens-home"
    accounts = Helper(home, helper_env(home, secret_service), secret_service_vault, secret_service)
    env = accounts.env
    token = accounts.sign_in()

    def call(action: str, stdin: str = "") -> tuple[int, str]:
        ran = run(package.launcher, action, env, stdin)
        assert ran.command_line[:2] == [str(python), "-I"], ran.command_line
        return ran.code, ran.out

    code, out = call("get", DOCKER_HUB_SERVER)
    assert code == 0 and f'"Secret":"{token}"' in out, out
    accounts.add_registry()
    login = new_token()
    stored = f'{{"ServerURL":"{REGISTRY}","Username":"bob","Secret":"{login}"}}'
    assert call("store", stored) == (0, "")
    assert call("get", REGISTRY) == (
        0,
        f'{{"ServerURL":"{REGISTRY}","Username":"bob","Secret":"{login}"}}\n',
    )
    assert accounts.items()[f"docker-login:bob@{REGISTRY}"] == login
    code, out = call("list")
    assert code == 0 and f'"{REGISTRY}":"bob"' in out, out
    assert call("erase", REGISTRY) == (0, "")
    assert call("get", REGISTRY) == (1, NOT_FOUND)
    with app_answering(env) as reply:
        assert call("get", "docker.io") == (0, reply)


@pytest.mark.skipif(
    JUST_BELOW not in PYTHONS, reason=f"no Python {JUST_BELOW[0]}.{JUST_BELOW[1]} here"
)
def test_the_python_before_the_oldest_cannot_run_the_modules(tmp_path: Path) -> None:
    """MIN_PYTHON is what the modules really need, not a guess: the version before it fails
    to load them, and the build gives that Python nothing to run."""
    python = PYTHONS[JUST_BELOW]
    names = sorted(TREE.helper_modules())
    code = f"import sys; sys.path.insert(0, {str(TREE.SRC)!r})\nfor n in {names!r}: __import__(n)"
    result = subprocess.run([str(python), "-I", "-S", "-c", code], capture_output=True, text=True)
    assert result.returncode == 1 and "TypeError" in result.stderr, result.stderr
    package = build(tmp_path, python)
    assert package.said.endswith(
        f"{python} is Python {JUST_BELOW[0]}.{JUST_BELOW[1]}; the helper's modules need "
        f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer"
    )
    assert package.launcher.is_symlink()
