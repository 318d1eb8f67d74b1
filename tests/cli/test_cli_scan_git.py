"""``hubtokens scan --git/--staged`` and the pre-commit hook, with real repositories and commits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubtokens.core.scan.hooks import BACKUP_SUFFIX, MARKER
from hubtokens.core.scan.patterns import fingerprint, mask
from tests.support.git_repo import Repo, make_token

ROOT = Path(__file__).resolve().parents[2]
BARE_PATH = "/usr/bin:/bin"  # what a GUI git client or `env -i` leaves: hubtokens not on it

FOREIGN_HOOK = "#!/bin/sh\n# someone else's hook\nexit 0\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit({"README": "hello\n"}, "first")
    return repo


def hubtokens(
    repo: Repo, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubtokens", *args],
        cwd=cwd or repo.path,
        env={**repo.env, "HUBTOKENS_HOME": str(repo.path.parent / "hubtokens-home"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def commit(repo: Repo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` as a person runs it, with a bare environment (the hook runs in it)."""
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=repo.path,
        env={**repo.env, "PATH": BARE_PATH},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_history_findings_in_json_with_commit_path_and_line(repo: Repo) -> None:
    token = make_token()
    added = repo.commit({"ci/.env": f"A=1\nDOCKER_TOKEN={token}\n"}, "add")
    repo.git("rm", "-q", "ci/.env")
    repo.git("commit", "-q", "-m", "remove")

    result = hubtokens(repo, "scan", "--git", "--json")

    assert result.returncode == 1, result.stderr
    (record,) = json.loads(result.stdout)
    assert {k: record[k] for k in ("path", "line", "commit", "kind", "masked", "fingerprint")} == {
        "path": "ci/.env",
        "line": 2,
        "commit": added,
        "kind": "pat",
        "masked": mask(token),
        "fingerprint": fingerprint(token),
    }
    assert token not in result.stdout + result.stderr


def test_a_clean_history_exits_0(repo: Repo) -> None:
    result = hubtokens(repo, "scan", "--git")

    assert result.returncode == 0, result.stderr
    assert "no Docker tokens found" in result.stderr


def test_git_or_staged_outside_a_repository_is_invalid_input(tmp_path: Path, repo: Repo) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    # git speaks the user's language (here German, which git ships): still invalid input.
    german = {"LANG": "C.UTF-8", "LANGUAGE": "de"}
    for option in ("--git", "--staged", "--install-hook"):
        result = hubtokens(repo, "scan", option, cwd=plain, env=german)

        assert result.returncode == 2, (option, result.stderr)
        assert "is not in a git repository" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_hook_blocks_a_commit_adding_a_token_and_lets_a_clean_one_through(repo: Repo) -> None:
    token = make_token()
    installed = hubtokens(repo, "scan", "--install-hook")
    assert installed.returncode == 0, installed.stderr
    before = repo.head()
    repo.write("deploy.sh", f"#!/bin/sh\necho start\ndocker login -p {token}\n")
    repo.git("add", "deploy.sh")

    blocked = commit(repo, "deploy script")

    shown = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, shown
    assert repo.head() == before
    assert "deploy.sh" in shown and mask(token) in shown and "3" in shown
    assert "Commit blocked" in shown
    assert "hubtokens scan --staged --identify" in shown
    assert token not in shown

    repo.write("deploy.sh", "#!/bin/sh\necho start\ndocker login\n")
    repo.git("add", "deploy.sh")
    allowed = commit(repo, "deploy script, no token")

    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert repo.head() != before


def test_the_hook_respects_core_hooks_path(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", "githooks")

    installed = hubtokens(repo, "scan", "--install-hook")

    assert installed.returncode == 0, installed.stderr
    assert MARKER in (repo.path / "githooks" / "pre-commit").read_text()
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
    repo.write("t.txt", f"{make_token('oat')}\n")
    repo.git("add", "t.txt")
    assert commit(repo, "blocked?").returncode != 0


def test_a_foreign_hook_is_never_overwritten_and_force_keeps_it(repo: Repo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(FOREIGN_HOOK)
    hook.chmod(0o755)

    refused = hubtokens(repo, "scan", "--install-hook", str(repo.path))

    assert refused.returncode == 2
    assert "did not write" in refused.stderr and "--force" in refused.stderr
    assert hook.read_text() == FOREIGN_HOOK
    assert hubtokens(repo, "scan", "--uninstall-hook").returncode == 2
    assert hook.read_text() == FOREIGN_HOOK

    forced = hubtokens(repo, "scan", "--install-hook", "--force")

    backup = hook.with_name("pre-commit" + BACKUP_SUFFIX)
    assert forced.returncode == 0, forced.stderr
    assert MARKER in hook.read_text()
    assert backup.read_text() == FOREIGN_HOOK
    assert os.access(hook, os.X_OK)

    removed = hubtokens(repo, "scan", "--uninstall-hook")

    assert removed.returncode == 0, removed.stderr
    assert hook.read_text() == FOREIGN_HOOK
    assert not backup.exists()


def test_uninstall_removes_exactly_its_own_hook(repo: Repo) -> None:
    hooks = repo.path / ".git" / "hooks"
    others = {p.name: p.read_bytes() for p in hooks.iterdir()}
    assert hubtokens(repo, "scan", "--install-hook").returncode == 0
    again = hubtokens(repo, "scan", "--install-hook")
    assert again.returncode == 0 and "updated" in again.stdout

    removed = hubtokens(repo, "scan", "--uninstall-hook")

    assert removed.returncode == 0, removed.stderr
    assert {p.name: p.read_bytes() for p in hooks.iterdir()} == others
    nothing = hubtokens(repo, "scan", "--uninstall-hook")
    assert nothing.returncode == 0 and "nothing to remove" in nothing.stdout


def test_history_asked_inside_the_git_folder_is_the_repositorys(repo: Repo) -> None:
    token = make_token()
    added = repo.commit({"ci/.env": f"DOCKER_TOKEN={token}\n"}, "add")
    repo.git("rm", "-q", "ci/.env")
    repo.git("commit", "-q", "-m", "remove")
    git_dir = repo.path / ".git"

    given = hubtokens(repo, "scan", "--git", "--json", ".git")
    within = hubtokens(repo, "scan", "--git", "--json", cwd=git_dir / "objects")

    for result in (given, within):
        assert result.returncode == 1, result.stderr
        assert [(r["path"], r["commit"], r["fingerprint"]) for r in json.loads(result.stdout)] == [
            ("ci/.env", added, fingerprint(token))
        ]
        assert token not in result.stdout + result.stderr


def test_staged_scans_only_the_staged_files(repo: Repo) -> None:
    staged = make_token()
    repo.write("loose.txt", f"{make_token()}\n")
    assert hubtokens(repo, "scan", "--staged").returncode == 0

    repo.write("s.txt", f"{staged}\n")
    repo.git("add", "s.txt")
    result = hubtokens(repo, "scan", "--staged", "--json")

    assert result.returncode == 1
    assert [(r["path"], r["commit"], r["fingerprint"]) for r in json.loads(result.stdout)] == [
        ("s.txt", None, fingerprint(staged))
    ]


def test_the_pre_commit_framework_manifest(repo: Repo) -> None:
    """pre-commit itself loads the manifest; its entry, run as the framework runs it, blocks."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from pre_commit.clientlib import load_manifest;"
            "print(json.dumps(load_manifest(sys.argv[1])))",
            str(ROOT / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    staged, files = json.loads(loaded.stdout)
    assert staged["id"] == "hubtokens-scan"
    assert (staged["language"], staged["pass_filenames"], staged["stages"]) == (
        "python",
        False,
        ["pre-commit"],
    )
    program, *arguments = staged["entry"].split()
    assert program == "hubtokens"
    repo.write("t.txt", f"{make_token()}\n")
    repo.git("add", "t.txt")
    assert hubtokens(repo, *arguments).returncode == 1

    # For `pre-commit run --all-files`, where nothing is staged: the files themselves, given
    # after the entry as the framework gives them.
    assert files["id"] == "hubtokens-scan-files" and files["pass_filenames"] is True
    program, *arguments = files["entry"].split()
    assert program == "hubtokens"
    repo.git("reset", "-q")  # nothing staged: the staged hook would find nothing
    repo.write("clean.txt", "nothing here\n")
    assert hubtokens(repo, *arguments, "clean.txt").returncode == 0
    assert hubtokens(repo, *arguments, "clean.txt", "t.txt").returncode == 1


def test_options_that_do_not_go_together(repo: Repo) -> None:
    for options in (
        ["--git", "--staged"],
        ["--install-hook", "--uninstall-hook"],
        ["--force"],
        # a hook option scans nothing: what only a scan takes is refused, not dropped unseen
        ["--install-hook", ".", "--git", "/nonexistent"],
        ["--install-hook", "--staged"],
        ["--install-hook", "--identify"],
        ["--install-hook", "--deactivate", "--yes"],
        ["--install-hook", "--sarif"],
        ["--install-hook", ".", "elsewhere"],
        ["--uninstall-hook", "--home"],
    ):
        result = hubtokens(repo, "scan", *options)

        assert result.returncode == 2, (options, result.stderr)
        assert result.stderr.startswith("error: ")
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
