"""How fast and how exact ``hubtokens scan --git`` is, against ``git log -p --all | rg``.

Builds a repository of 5,000 commits with ``git fast-import`` (a main branch with side branches
merged back, one side branch left unmerged, a tag; text files of every size, binary files,
deletions) with about 100 tokens planted in commits: most are removed again a few commits later
(so only the history holds them), some are copied to a second path, some live only on a side
branch, and look-alikes that must not match. Then it times whole processes, interleaved:
``git log -p --all | rg -c PATTERN`` and ``hubtokens scan --git --json``, and checks every
``hubtokens`` run: each planted token found at its path, line and the commit that put it
there, nothing else reported. Every token is made at run time.

    python bench/scan_git.py [--commits 5000] [--runs 5] [--warmup 1] [--keep DIR]

Needs git and ripgrep (Debian packages git, ripgrep).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# bench/scan.py: the same words, tokens, look-alikes and timing for both benchmarks.
from scan import (
    HUBTOKENS,
    RG_PATTERN,
    add_run_arguments,
    compare,
    differences,
    lookalike,
    ripgrep,
    text_pool,
    token,
    workspace,
)

PATHS = 600  # files on the main branch
CHANGES_PER_COMMIT = 3
MEAN_FILE = 8 * 1024
SIDE_EVERY = 1000  # a side branch of SIDE_COMMITS commits starts from main this often
SIDE_COMMITS = 20
PLANT_EVERY = 50  # main gets a token once every this many commits, each side branch two


@dataclass(frozen=True)
class Planted:
    token: str
    path: str
    line: int
    mark: int  # fast-import's mark of the commit that put it at this path


@dataclass
class History:
    stream: bytearray = field(default_factory=bytearray)
    planted: list[Planted] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)
    commits: int = 0
    blob_bytes: int = 0


Changes = dict[str, bytes]  # path -> new content


class Generator:
    """The fast-import stream of a generated history, and what was planted where."""

    def __init__(self, commits: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.pool = text_pool(self.rng, 8 * 1024 * 1024)
        self.binary = os.urandom(1024 * 1024).replace(b"dckr_", b"dckr~")
        self.history = History()
        self.commits = commits
        self.marks = 0
        self.time = 1_600_000_000
        self.to_clean: dict[int, list[str]] = {}  # commit number -> planted paths to rewrite
        self.side_files: Changes = {}  # the side branch's folder as its last commit left it

    def build(self) -> History:
        tip = self._commit("main", None, {f"f{i}": self._text() for i in range(PATHS)})
        number, side = 1, 0
        while number < self.commits:
            if number % SIDE_EVERY == 0 and number + SIDE_COMMITS + 1 < self.commits:
                side += 1
                tip, number = self._side_branch(side, tip, number)
            else:
                tip = self._main_commit(tip, number)
                number += 1
        self.history.stream += b"reset refs/tags/v1\nfrom :%d\n\n" % (tip - 40)
        return self.history

    def _main_commit(self, tip: int, number: int) -> int:
        changes = {f"f{self.rng.randrange(PATHS)}": self._text() for _ in range(3)}
        for path in self.to_clean.pop(number, []):  # the token goes; history keeps it
            changes[path] = self._text()
        deletions = [f"gone/{number - 1}.txt"] if number % 97 == 1 and number > 1 else []
        if number % 97 == 0:
            changes[f"gone/{number}.txt"] = self._text()
        if number % 13 == 0:
            fake = lookalike(self.rng)
            self.history.lookalikes.append(fake)
            changes[f"notes/n{number % 50}.txt"] = self._text() + f"\nsee {fake} here\n".encode()
        if number % 29 == 0:
            changes[f"assets/a{number % 40}.bin"] = self._binary()
        mark = self._next_mark()
        if number % PLANT_EVERY == 7:
            path = next(iter(changes))
            changes.update(self._plant(path, changes[path], mark, number))
            self.to_clean.setdefault(number + self.rng.randint(1, 5), []).append(path)
        return self._commit("main", tip, changes, deletions, mark=mark)

    def _side_branch(self, side: int, main_tip: int, number: int) -> tuple[int, int]:
        branch, tip = f"side{side}", main_tip
        self.side_files = {}
        for step in range(SIDE_COMMITS):
            path = f"side{side}/s{self.rng.randrange(30)}"
            changes = {path: self._text()}
            mark = self._next_mark()
            if step in (3, 11):
                changes.update(self._plant(path, changes[path], mark, number))
            self.side_files.update({p: d for p, d in changes.items() if p.startswith(branch)})
            tip = self._commit(branch, tip, changes, mark=mark)
            number += 1
        if number + SIDE_EVERY >= self.commits:  # the last one stays unmerged: only its ref
            return main_tip, number
        # The merge: main's tree (the first parent's) plus the side's folder as it ended.
        merge = self._commit("main", main_tip, dict(self.side_files), merged=tip)
        return merge, number + 1

    def _plant(self, path: str, data: bytes, mark: int, number: int) -> Changes:
        secret = token(self.rng)
        lines = data.split(b"\n")
        at = self.rng.randrange(len(lines))
        left, right = self.rng.choice(((" ", ""), ("TOKEN=", ""), ('"', '"'), ("", " # ci")))
        lines.insert(at, f"{left}{secret}{right}".encode())
        content = b"\n".join(lines)
        changes = {path: content}
        if self.rng.random() < 0.2:  # copied to a second path in the same commit
            changes[f"copies/{number}.env"] = content
        self.history.planted += [Planted(secret, p, at + 1, mark) for p in changes]
        return changes

    def _text(self) -> bytes:
        size = min(int(self.rng.expovariate(1 / MEAN_FILE)) + 1, len(self.pool) - 1)
        start = self.rng.randrange(len(self.pool) - size)
        return self.pool[start : start + size]

    def _binary(self) -> bytes:
        size = self.rng.randrange(1024, 64 * 1024)
        start = self.rng.randrange(len(self.binary) - size)
        return self.binary[start : start + size]

    def _next_mark(self) -> int:
        self.marks += 1
        return self.marks

    def _commit(
        self,
        branch: str,
        parent: int | None,
        changes: Changes,
        deletions: list[str] | None = None,
        *,
        mark: int | None = None,
        merged: int | None = None,
    ) -> int:
        mark = mark if mark is not None else self._next_mark()
        self.time += 60
        message = b"change %d\n" % mark
        out = self.history.stream
        out += b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), mark)
        out += b"committer Bench <bench@example.invalid> %d +0000\n" % self.time
        out += b"data %d\n%s" % (len(message), message)
        if parent is not None:
            out += b"from :%d\n" % parent
        if merged is not None:
            out += b"merge :%d\n" % merged
        for path in deletions or []:
            out += b"D %s\n" % path.encode()
        for path, data in changes.items():
            out += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
            self.history.blob_bytes += len(data)
        out += b"\n"
        self.history.commits += 1
        return mark


def make_repository(root: Path, commits: int) -> tuple[History, dict[int, str]]:
    """The repository at ``root`` and what was planted, with each mark's commit id."""
    history = Generator(commits).build()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    marks = root / ".git" / "bench-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=root,
        input=bytes(history.stream),
        check=True,
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)
    subprocess.run(["git", "repack", "-a", "-d", "-q"], cwd=root, check=True)
    commit_of = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        commit_of[int(mark.lstrip(":"))] = sha
    return history, commit_of


def check(history: History, commit_of: dict[int, str], output: str) -> list[str]:
    from hubtokens.core.scan.patterns import fingerprint

    reported = {(r["fingerprint"], r["path"], r["line"], r["commit"]) for r in json.loads(output)}
    expected = {(fingerprint(p.token), p.path, p.line, commit_of[p.mark]) for p in history.planted}
    return differences(expected, reported, {fingerprint(value) for value in history.lookalikes})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    add_run_arguments(parser, "repository")
    args = parser.parse_args()
    rg = ripgrep()
    if rg is None:
        return 2
    with workspace(args.keep, "hubtokens-scan-git-bench-", "repo") as (_base, root):
        return _timed_history(args, rg, root)


def _timed_history(args: argparse.Namespace, rg: str, root: Path) -> int:
    started = time.perf_counter()
    history, commit_of = make_repository(root, args.commits)
    # Freshly imported and repacked: every object in the repository is reachable.
    kinds = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    blobs = kinds.split().count(b"blob")
    print(
        f"repository: {history.commits} commits, {blobs} blobs "
        f"({history.blob_bytes / 2**20:.0f} MiB written), {len(history.planted)} token places "
        f"planted, {len(history.lookalikes)} look-alikes (built in "
        f"{time.perf_counter() - started:.0f} s)"
    )
    commands = {
        "git log -p | rg": ["sh", "-c", f"git log -p --all | {rg} -c '{RG_PATTERN}'"],
        "hubtokens": [str(HUBTOKENS), "scan", "--git", "--json"],
    }
    _ratio, failures = compare(
        commands,
        root,
        args,
        baseline="git log -p | rg",
        check=lambda result: check(history, commit_of, result.stdout),
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
