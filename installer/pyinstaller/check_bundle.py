"""Check a built bundle (dist/hubtokens) against what the spec promises; `make bundle` runs it.

    python installer/pyinstaller/check_bundle.py dist/hubtokens

- the three programs are there, and every runtime asset of src/hubtokens/gui/assets/;
- the credential helper's archive holds no Qt, requests or (Linux) keyring module and runs no
  PyInstaller runtime hook: its `get` path stays as cheap frozen as it is from source;
- the app's and the CLI's archives hold the GUI and keyring's backends (found by entry point,
  so the keyring metadata must be there too);
- no Qt translation, no WebEngine/Qml/Quick/Pdf library, no GTK in the folder.
Prints one line per check; exits 1 on the first failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "src" / "hubtokens" / "gui" / "assets"
EXE = ".exe" if sys.platform == "win32" else ""
HELPER_NEVER = ("PySide6", "shiboken6", "requests", "urllib3", "hubtokens.gui", "hubtokens.cli")
HELPER_NEVER_LINUX = ("keyring", "secretstorage", "jeepney", "cryptography", "platformdirs")
NEVER_IN_FOLDER = ("Qt6WebEngine", "Qt6Qml", "Qt6Quick", "Qt6Pdf", "libgtk-3", "qtbase_")


def modules_and_hooks(program: Path) -> tuple[set[str], set[str]]:
    archive = CArchiveReader(str(program))
    hooks = {name for name in archive.toc if name.startswith("pyi_rth_")}
    return set(archive.open_embedded_archive("PYZ.pyz").toc), hooks


def under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in packages)


def check(bundle: Path) -> list[str]:
    problems = []
    internal = bundle / "_internal"
    if sys.platform == "darwin" and not internal.exists():
        internal = bundle.parent / "Resources"
    for program in ("hubtokens-gui", "hubtokens", "docker-credential-hubtokens"):
        if not (bundle / f"{program}{EXE}").is_file():
            problems.append(f"no {program}{EXE}")
    if problems:
        return problems
    frozen_assets = internal / "hubtokens" / "gui" / "assets"
    for asset in sorted(ASSETS.glob("*.svg")):
        if not (frozen_assets / asset.name).is_file():
            problems.append(f"runtime asset {asset.name} is missing")

    helper, helper_hooks = modules_and_hooks(bundle / f"docker-credential-hubtokens{EXE}")
    never = HELPER_NEVER + (HELPER_NEVER_LINUX if sys.platform.startswith("linux") else ())
    leaked = sorted(m for m in helper if under(m, never))
    if leaked:
        problems.append(f"the helper's archive holds {leaked[:5]}")
    if helper_hooks:
        problems.append(f"the helper runs runtime hooks {sorted(helper_hooks)}")
    if "hubtokens.credhelper.secretservice" not in helper:
        problems.append("the helper's archive lacks hubtokens.credhelper.secretservice")

    for program in ("hubtokens-gui", "hubtokens"):
        modules, _ = modules_and_hooks(bundle / f"{program}{EXE}")
        for needed in ("hubtokens.gui.app", "keyring.backends.SecretService", "requests"):
            if needed not in modules:
                problems.append(f"{program}'s archive lacks {needed}")
    if not list(internal.glob("keyring-*.dist-info/entry_points.txt")):
        problems.append("keyring's metadata (its backends' entry points) is missing")

    for path in internal.rglob("*"):
        if any(part in path.name for part in NEVER_IN_FOLDER):
            problems.append(f"{path.relative_to(bundle)} should have been left out")
            break
    return problems


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "dist" / "hubtokens")
    problems = check(bundle)
    for problem in problems:
        print(f"check_bundle: {problem}", file=sys.stderr)
    if problems:
        return 1
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"check_bundle: {bundle} is as the spec says ({size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
