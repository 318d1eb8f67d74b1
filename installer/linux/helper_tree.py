"""The .deb's docker-credential-hubtokens: the system Python runs the helper's own modules, and
the frozen helper answers wherever that Python cannot.

    python installer/linux/helper_tree.py ROOT [--python /usr/bin/python3]
        [--prefix /opt/hubtokens] [--bindir /usr/bin]

build-deb.sh runs it on the package tree ROOT. Docker starts the helper on every pull, and the
frozen (PyInstaller) helper pays at each start for its bootloader, a shared libpython and its
archive: 1.2-1.6x the time of the pip-installed launcher, which runs ``python3 -I -S``. So
when the build machine's python3 (the system Python of the release the .deb is built for, as
its Depends are) is MIN_PYTHON or newer, the package gets:

  BINDIR/docker-credential-hubtokens   the launcher (docker-credential-hubtokens.in): that
                                       python3.X if it is there with the standard library the
                                       helper needs, else the frozen helper
  PREFIX/helper/hubtokens/...          the package's modules the helper can import (the closure
                                       of its entry point, as its frozen archive holds them)
                                       and their bytecode
  PREFIX/docker-credential-hubtokens   the frozen helper, as before

Bytecode: PREFIX is root's, so Python cannot write __pycache__ there, and compiling the modules
at every start would make a get 1.25x (app running) to 1.75x (keychain) the pip launcher's
time, no better than the frozen helper (measured with bench/credhelper.py). python3.X compiles
them here, into unchecked-hash .pyc files: valid whatever times dpkg gives the files, never
compared with the source at run time (as quick as timestamped ones). The launcher names
python3.X, not python3: after an upgrade to another Python, or on another release, that name is
missing and the frozen helper answers, rather than a Python that would compile at every start.
Nothing is written at run time (-B, root included).

Without a usable python3 on the build machine (missing, older than MIN_PYTHON, no json),
BINDIR gets a symlink to the frozen helper, as the other programs do, and the build says so.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from modulefinder import ModuleFinder
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
sys.path.insert(0, str(HERE.parent / "pyinstaller"))
import bundle_rules  # noqa: E402

PROGRAM = "docker-credential-hubtokens"
ENTRY = "hubtokens.credhelper.main"
TEMPLATE = HERE / f"{PROGRAM}.in"
# The oldest Python the helper's modules run on (tests/installer/test_deb_helper.py runs every
# action on each Python it finds); 3.9 cannot evaluate their ``str | None`` annotations.
MIN_PYTHON = (3, 10)
# What the launcher names unquoted, in sh and in a Python string literal.
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_./+-]+")
PROBE = "import sys, json; print(sys.version_info[0], sys.version_info[1], json.__file__)"


class NoFastPath(Exception):
    """Why the package gets the frozen helper alone."""


@dataclass(frozen=True)
class Interpreter:
    path: Path  # python3.X: the name the launcher runs
    version: tuple[int, int]
    stdlib_file: Path  # its json/__init__.py: there only with the whole standard library


def helper_modules(src: Path = SRC) -> dict[str, Path]:
    """The package's modules the helper can import: name -> source file. The same closure as
    its frozen archive: every import in the entry module and what it reaches, lazy ones too,
    less what the spec leaves out of the Linux helper."""
    excluded = [*bundle_rules.HELPER_EXCLUDED_MODULES, *bundle_rules.HELPER_EXCLUDED_MODULES_LINUX]
    finder = ModuleFinder(path=[str(src)], excludes=excluded)
    finder.import_hook(ENTRY)
    return {
        name: Path(module.__file__)
        for name, module in finder.modules.items()
        if (name == "hubtokens" or name.startswith("hubtokens.")) and module.__file__
    }


def interpreter(python: Path) -> Interpreter:
    """What the launcher can run for ``python``; raises NoFastPath with the reason if nothing."""
    try:
        probe = subprocess.run(
            [str(python), "-I", "-S", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:
        raise NoFastPath(f"{python} cannot run ({exc.strerror})") from None
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise NoFastPath(f"{python} cannot import json without site ({last})")
    major, minor, stdlib_file = probe.stdout.rstrip("\n").split(" ", 2)
    version = (int(major), int(minor))
    if version < MIN_PYTHON:
        raise NoFastPath(
            f"{python} is Python {major}.{minor}; the helper's modules need "
            f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer"
        )
    versioned = python.parent / f"python{major}.{minor}"
    if not (versioned.exists() and versioned.samefile(python)):
        raise NoFastPath(f"{python} has no {versioned.name} beside it")
    return Interpreter(versioned, version, Path(stdlib_file))


def build(
    root: Path, python: Path, prefix: str = "/opt/hubtokens", bindir: str = "/usr/bin"
) -> str:
    """Put the helper's launcher (or symlink) and modules into the package tree ``root``;
    returns what it did, in one line."""
    frozen, tree = f"{prefix}/{PROGRAM}", f"{prefix}/helper"
    launcher = staged(root, bindir) / PROGRAM
    launcher.parent.mkdir(parents=True, exist_ok=True)
    launcher.unlink(missing_ok=True)
    try:
        target = interpreter(python)
    except NoFastPath as reason:
        launcher.symlink_to(frozen)
        return f"{bindir}/{PROGRAM} is the frozen helper alone: {reason}"
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, path in (
        ("PYTHON", str(target.path)),
        ("STDLIB", str(target.stdlib_file)),
        ("TREE", tree),
        ("FROZEN", frozen),
    ):
        if not PLAIN_PATH.fullmatch(path):
            raise SystemExit(f"helper_tree: the launcher cannot name {path!r}")
        text = text.replace(f"@{name}@", path)
    copy_modules(staged(root, tree))
    compile_modules(target.path, staged(root, tree), tree)
    launcher.write_text(text, encoding="utf-8")
    launcher.chmod(0o755)
    version = ".".join(map(str, target.version))
    return f"{bindir}/{PROGRAM} runs {target.path} (Python {version}), else the frozen helper"


def staged(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def copy_modules(tree: Path) -> None:
    for name, source in helper_modules().items():
        relative = source.relative_to(SRC)
        assert relative.parts[0] == "hubtokens", name
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_bytes(source.read_bytes())


def compile_modules(python: Path, staged_tree: Path, tree: str) -> None:
    """Bytecode by the launcher's own Python; tracebacks name the installed paths."""
    command = [str(python), "-I", "-m", "compileall", "-q", "-f"]
    command += ["--invalidation-mode", "unchecked-hash", "-s", str(staged_tree), "-p", tree]
    subprocess.run([*command, str(staged_tree)], check=True, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the package tree")
    parser.add_argument("--python", type=Path, default=Path("/usr/bin/python3"))
    parser.add_argument("--prefix", default="/opt/hubtokens")
    parser.add_argument("--bindir", default="/usr/bin")
    args = parser.parse_args()
    print(f"helper_tree: {build(args.root, args.python, args.prefix, args.bindir)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
