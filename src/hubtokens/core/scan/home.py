"""Where tokens end up on this machine: docker's config (and the app's backup of it), shell
histories and the usual dotfiles.

Each candidate is scanned like any other file (so a token pasted into a command or a config is
found, and ``auths`` entries of auth files are decoded); files that do not exist are not
mentioned. Paths are absolute, each file once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from hubtokens.core.dockerconfig import BACKUP_SUFFIX, docker_config_file
from hubtokens.core.scan.files import ScanStats, scan_file
from hubtokens.core.scan.findings import Finding

# Relative to home: histories of shells and REPLs (a token typed or pasted into a command),
# credential and package-manager configs, shell start-up files and editors' histories.
HOME_FILES = (
    ".bash_history",
    ".zsh_history",
    ".zhistory",
    ".histfile",
    ".sh_history",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".sqlite_history",
    ".lesshst",
    ".viminfo",
    ".local/share/nvim/shada/main.shada",
    ".docker/config.json",
    ".config/containers/auth.json",
    ".git-credentials",
    ".config/git/credentials",
    ".netrc",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".env",
    ".envrc",
    ".profile",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".config/fish/config.fish",
    ".kube/config",
    ".ssh/environment",
)


def home_files(home: Path, environ: Mapping[str, str]) -> list[str]:
    """The candidate files for ``home`` and ``environ`` (whether or not they exist)."""
    data_home = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    docker_config = docker_config_file({**environ, "HOME": os.fspath(home)})
    candidates = [
        docker_config,
        docker_config + BACKUP_SUFFIX,  # the app's copy from before it removed a credential
        os.path.join(data_home, "fish", "fish_history"),
        *(os.path.join(home, name) for name in HOME_FILES),
    ]
    if environ.get("ZDOTDIR"):
        candidates.append(os.path.join(environ["ZDOTDIR"], ".zsh_history"))
    for variable in ("HISTFILE", "REGISTRY_AUTH_FILE"):
        if environ.get(variable):
            candidates.append(environ[variable])
    if environ.get("XDG_RUNTIME_DIR"):
        # podman's and skopeo's default auth file
        candidates.append(os.path.join(environ["XDG_RUNTIME_DIR"], "containers", "auth.json"))
    return list(dict.fromkeys(os.path.abspath(path) for path in candidates))


def scan_home(
    home: Path, environ: Mapping[str, str], *, stats: ScanStats | None = None
) -> Iterator[Finding]:
    """Findings in the files of :func:`home_files` that exist."""
    stats = stats if stats is not None else ScanStats()
    seen: set[tuple[int, int]] = set()
    for path in home_files(home, environ):
        try:
            info = os.stat(path)
        except OSError:
            continue  # not there: nothing to say
        if (info.st_dev, info.st_ino) in seen or not stat.S_ISREG(info.st_mode):
            continue
        seen.add((info.st_dev, info.st_ino))
        yield from scan_file(path, path, stats)
