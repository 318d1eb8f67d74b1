"""``scan_git``: tokens in a real repository's history and in what is staged."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hubtokens.core.errors import UsageError
from hubtokens.core.scan.files import CHUNK_SIZE, ScanStats
from hubtokens.core.scan.findings import KIND_DOCKER_CONFIG_PAT, KIND_OAT, KIND_PAT, Finding
from hubtokens.core.scan.git import scan_git
from tests.support.git_repo import Repo, make_token


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def history(repo: Repo, stats: ScanStats | None = None) -> list[Finding]:
    return list(scan_git(repo.path, stats=stats))


def places(findings: list[Finding]) -> set[tuple[str, int | None, str | None, str]]:
    return {(f.path, f.line, f.commit, f.secret.reveal()) for f in findings}


def test_a_token_in_history_is_reported_with_the_commit_that_added_it_its_path_and_line(
    repo: Repo,
) -> None:
    token = make_token()
    repo.commit({"README": "hello\n"}, "first")
    added = repo.commit({"deploy/ci.env": f"USER=me\nDEBUG=1\nTOKEN={token}\n"}, "add ci")
    repo.commit({"README": "hello again\n"}, "later")
    repo.git("rm", "-q", "deploy/ci.env")
    repo.git("commit", "-q", "-m", "remove it (history keeps it)")

    (finding,) = history(repo)

    assert (finding.path, finding.line, finding.commit) == ("deploy/ci.env", 3, added)
    assert finding.kind == KIND_PAT
    assert finding.secret.reveal() == token


def test_each_blob_is_read_once_and_reported_once_per_path(repo: Repo) -> None:
    """A token file copied to 3 paths across 50 commits: one blob read, three findings."""
    token = make_token("oat", 32)
    content = f"# config\nkey = {token}\n"
    first = repo.commit({"a/secret.cfg": content}, "one")
    introduced = {"a/secret.cfg": first}
    for number in range(50):
        files: dict[str, str | bytes] = {"counter.txt": f"{number}\n"}
        if number in (10, 30):
            copy = f"copy{number}/secret.cfg"
            files[copy] = content
        repo.commit(files, f"commit {number}")
        if number in (10, 30):
            introduced[copy] = repo.head()
    distinct_blobs = len(
        repo.git(
            "rev-list",
            "--objects",
            "--all",
            "--filter=object:type=blob",
            "--filter-provided-objects",
            "--no-object-names",
        ).stdout.split()
    )
    stats = ScanStats()

    found = history(repo, stats)

    assert stats.files == distinct_blobs == 51  # 50 versions of counter.txt, and the secret file
    assert places(found) == {(path, 2, commit, token) for path, commit in introduced.items()}
    assert {f.kind for f in found} == {KIND_OAT}


def test_a_secret_is_reported_once_per_path_at_its_first_version(repo: Repo) -> None:
    token = make_token()
    first = repo.commit({"app.env": f"A={token}\n"}, "add")
    repo.commit({"app.env": f"# moved down\nA={token}\n"}, "edit")
    repo.commit({"app.env": f"# more\n# moved down\nA={token}\nB=2\n"}, "edit again")

    assert places(history(repo)) == {("app.env", 1, first, token)}


def test_every_ref_counts_not_only_the_checked_out_branch(repo: Repo) -> None:
    on_main = make_token()
    on_branch = make_token()
    in_tag = make_token()
    repo.commit({"main.txt": on_main})
    repo.git("switch", "-q", "-c", "feature")
    branch_commit = repo.commit({"feature.txt": on_branch})
    repo.git("switch", "-q", "main")
    # A tag naming a blob directly: no commit holds it.
    blob = _hash_object(repo, f"tagged {in_tag}\n")
    repo.git("tag", "-a", "-m", "a blob", "blob-tag", blob)

    found = history(repo)

    by_secret = {f.secret.reveal(): f for f in found}
    assert set(by_secret) == {on_main, on_branch, in_tag}
    assert (by_secret[on_branch].path, by_secret[on_branch].commit) == (
        "feature.txt",
        branch_commit,
    )
    assert by_secret[in_tag].commit is None


def test_blobs_no_commit_holds_come_in_the_same_order_every_run(repo: Repo) -> None:
    """In blob id order, not a set's (which changes with each process's string hashing)."""
    repo.commit({"README": "hello\n"})
    blobs = [_hash_object(repo, f"tagged {make_token()}\n") for _ in range(8)]
    for n, blob in enumerate(blobs):
        repo.git("tag", "-a", "-m", "a blob", f"blob-{n}", blob)

    found = history(repo)

    assert [f.commit for f in found] == [None] * len(blobs)
    assert [f.path for f in found] == sorted(blobs)


def test_a_commit_only_the_reflog_remembers_is_not_scanned(repo: Repo) -> None:
    """Every ref, not the reflog: an amended-away commit is in no clone and no push."""
    token = make_token()
    repo.commit({"x.txt": "clean\n"})
    repo.commit({"x.txt": f"{token}\n"}, "oops")
    repo.write("x.txt", "clean again\n")
    repo.git("commit", "-q", "-a", "--amend", "-m", "fixed")

    assert history(repo) == []


def test_a_merge_that_adds_a_token_of_its_own_is_reported_at_the_merge(repo: Repo) -> None:
    token = make_token()
    repo.commit({"base.txt": "base\n"})
    repo.git("switch", "-q", "-c", "side")
    repo.commit({"side.txt": "side\n"})
    repo.git("switch", "-q", "main")
    repo.commit({"main.txt": "main\n"})
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("merged.txt", f"{token}\n")
    repo.git("add", "merged.txt")
    repo.git("commit", "-q", "-m", "evil merge")
    merge = repo.head()

    assert places(history(repo)) == {("merged.txt", 1, merge, token)}


def test_binary_huge_and_oddly_named_blobs(repo: Repo) -> None:
    binary_token, huge_token, named_token = make_token(), make_token(), make_token()
    # The huge blob's token straddles the scanner's chunk boundary.
    head = b"x" * (CHUNK_SIZE - 20) + b"\n"
    huge = head + huge_token.encode() + b"\n" + b"y" * 1000
    odd_name = b"caf\xe9 \n name.txt"
    repo.write("image.bin", b"\x89PNG\0\0\x01" + binary_token.encode() + b"\0\xff")
    repo.write("huge.log", huge)
    repo.write(odd_name, f"{named_token}\n")
    repo.git("add", "image.bin", "huge.log", os.fsdecode(odd_name))
    repo.git("commit", "-q", "-m", "odd")
    commit = repo.head()

    assert places(history(repo)) == {
        ("image.bin", 1, commit, binary_token),
        ("huge.log", 2, commit, huge_token),
        (os.fsdecode(odd_name), 1, commit, named_token),
    }


def test_a_docker_config_committed_with_a_credential_is_decoded(repo: Repo) -> None:
    token = make_token()
    auth = base64.b64encode(f"alice:{token}".encode()).decode()
    config = {"auths": {"https://index.docker.io/v1/": {"auth": auth}}}
    commit = repo.commit({".docker/config.json": json.dumps(config, indent=2)})

    (finding,) = history(repo)

    assert (finding.path, finding.commit, finding.kind) == (
        ".docker/config.json",
        commit,
        KIND_DOCKER_CONFIG_PAT,
    )
    assert finding.secret.reveal() == token


def test_submodules_are_skipped(repo: Repo, tmp_path: Path) -> None:
    token = make_token()
    other = Repo(tmp_path / "other")
    other_commit = other.commit({"inside.txt": f"{token}\n"})
    # A gitlink to a commit this repository does not hold, as a submodule records it.
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{other_commit},vendor/other")
    repo.commit({"top.txt": "top\n"})
    repo.write("staged.txt", "nothing\n")
    repo.git("add", "staged.txt")

    assert history(repo) == []
    assert list(scan_git(repo.path, staged=True)) == []


def test_a_shallow_clone_reports_its_boundary_commit(repo: Repo, tmp_path: Path) -> None:
    token = make_token()
    repo.commit({"early.txt": f"{token}\n"})
    for number in range(3):
        repo.commit({"n.txt": f"{number}\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        env=repo.env,
        check=True,
        timeout=60,
    )

    (finding,) = list(scan_git(clone))

    assert (finding.path, finding.commit) == ("early.txt", repo.head())


def test_an_empty_repository_has_no_findings(repo: Repo) -> None:
    stats = ScanStats()
    assert list(scan_git(repo.path, stats=stats)) == []
    assert list(scan_git(repo.path, staged=True)) == []
    assert stats.files == 0


def test_staged_reads_only_what_the_next_commit_adds_or_changes(repo: Repo) -> None:
    committed, staged, unstaged = make_token(), make_token(), make_token()
    repo.commit({"old.txt": f"{committed}\n", "edit.txt": "one\n"})
    repo.write("edit.txt", f"one\ntwo {staged}\n")
    repo.git("add", "edit.txt")
    repo.write("edit.txt", "one\n")  # the working tree no longer has it; the index does
    repo.write("loose.txt", f"{unstaged}\n")  # not added

    assert places(list(scan_git(repo.path, staged=True))) == {("edit.txt", 2, None, staged)}


def test_staged_reads_the_index_git_is_told_to_use(repo: Repo, tmp_path: Path) -> None:
    """A hook run by `git commit -a` sees a temporary index (GIT_INDEX_FILE)."""
    token = make_token()
    repo.commit({"a.txt": "a\n"})
    index = tmp_path / "other-index"
    env = {**repo.env, "GIT_INDEX_FILE": str(index)}
    repo.write("a.txt", f"{token}\n")
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo.path, env=env, check=True)
    subprocess.run(["git", "add", "a.txt"], cwd=repo.path, env=env, check=True)
    code = (
        "from pathlib import Path; from hubtokens.core.scan.git import scan_git;"
        "print(len(list(scan_git(Path('.'), staged=True))))"
    )

    def count(environ: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=repo.path,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()

    assert count(env) == "1"
    assert count(repo.env) == "0"


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UsageError, match="not in a git repository"):
        list(scan_git(plain, stats=None))
    with pytest.raises(UsageError, match="no such folder"):
        list(scan_git(tmp_path / "missing"))


def test_a_bare_repository_has_history_but_nothing_staged(repo: Repo, tmp_path: Path) -> None:
    token = make_token()
    commit = repo.commit({"t.txt": f"{token}\n"})
    bare = tmp_path / "bare.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(bare)], env=repo.env, check=True
    )

    assert places(list(scan_git(bare))) == {("t.txt", 1, commit, token)}
    with pytest.raises(UsageError, match="bare"):
        list(scan_git(bare, staged=True))


def test_a_cancelled_scan_stops_without_findings(repo: Repo) -> None:
    repo.commit({"t.txt": f"{make_token()}\n"})
    cancelled = threading.Event()
    cancelled.set()

    assert list(scan_git(repo.path, cancelled=cancelled)) == []


def _hash_object(repo: Repo, text: str) -> str:
    done = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo.path,
        env=repo.env,
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_staged_before_the_first_commit(repo: Repo) -> None:
    token = make_token()
    repo.write("first.txt", f"{token}\n")
    repo.git("add", "first.txt")

    assert places(list(scan_git(repo.path, staged=True))) == {("first.txt", 1, None, token)}
