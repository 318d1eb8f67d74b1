"""``scan_home``: the places on this machine where tokens end up, in a home made for the test."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from hubtokens.core.scan.files import ScanStats
from hubtokens.core.scan.findings import KIND_DOCKER_CONFIG_PAT
from hubtokens.core.scan.home import home_files, scan_home
from tests.support.git_repo import make_token


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def docker_auths(user: str, secret: str) -> str:
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": encoded}}})


def test_histories_dotfiles_and_docker_config_are_scanned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tokens = {name: make_token() for name in ("bash", "zsh", "fish", "netrc", "git", "env", "npm")}
    planted = {
        write(home / ".bash_history", f"ls\ndocker login -u me -p {tokens['bash']}\n"): "bash",
        write(home / ".zsh_history", f": 1700000000:0;export T={tokens['zsh']}\n"): "zsh",
        write(home / ".local/share/fish/fish_history", f"- cmd: echo {tokens['fish']}\n"): "fish",
        write(home / ".netrc", f"machine hub login me password {tokens['netrc']}\n"): "netrc",
        write(home / ".git-credentials", f"https://me:{tokens['git']}@example.com\n"): "git",
        write(home / ".env", f"DOCKER_PAT={tokens['env']}\n"): "env",
        write(home / ".npmrc", f"//r/:_authToken={tokens['npm']}\n"): "npm",
    }
    in_config = make_token()
    write(home / ".docker/config.json", docker_auths("me", in_config))
    write(home / "projects/app/.env", make_token())  # a project: for `scan PATH`, not --home
    stats = ScanStats()
    findings = list(scan_home(home, {"HOME": str(home)}, stats=stats))
    found = {(f.path, f.secret.reveal()) for f in findings}
    assert found == {(str(path), tokens[name]) for path, name in planted.items()} | {
        (str(home / ".docker/config.json"), in_config)
    }
    config = next(f for f in findings if f.kind == KIND_DOCKER_CONFIG_PAT)
    assert config.account == "me"
    assert stats.files == len(planted) + 1


def test_the_environment_says_where_docker_and_the_shells_keep_things(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    environ = {
        "HOME": str(home),
        "DOCKER_CONFIG": str(elsewhere / "docker"),
        "XDG_DATA_HOME": str(elsewhere / "data"),
        "HISTFILE": str(elsewhere / "my_history"),
        "ZDOTDIR": str(elsewhere / "zsh"),
        "XDG_RUNTIME_DIR": str(elsewhere / "run"),
        "REGISTRY_AUTH_FILE": str(elsewhere / "auth.json"),
    }
    paths = [
        elsewhere / "docker/config.json",
        elsewhere / "data/fish/fish_history",
        elsewhere / "my_history",
        elsewhere / "zsh/.zsh_history",
        elsewhere / "run/containers/auth.json",
        elsewhere / "auth.json",
    ]
    tokens = {str(write(path, make_token())): path for path in paths}
    assert {f.path for f in scan_home(home, environ)} == set(tokens)
    assert set(tokens) <= set(home_files(home, environ))


def test_a_home_without_any_of_those_files_is_quietly_clean(tmp_path: Path) -> None:
    stats = ScanStats()
    assert list(scan_home(tmp_path, {"HOME": str(tmp_path)}, stats=stats)) == []
    assert (stats.files, stats.skipped) == (0, [])


def test_each_file_once_and_special_files_are_not_opened(tmp_path: Path) -> None:
    token = make_token()
    write(tmp_path / ".bash_history", token)
    os.mkfifo(tmp_path / "fifo")
    environ = {"HOME": str(tmp_path), "HISTFILE": str(tmp_path / "fifo")}
    (tmp_path / ".zsh_history").symlink_to(tmp_path / ".bash_history")
    assert [f.secret.reveal() for f in scan_home(tmp_path, environ)] == [token]
