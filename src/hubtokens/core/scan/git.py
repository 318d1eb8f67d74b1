"""Tokens in a git repository: its whole history (``--git``) or what is staged (``--staged``).

History: every blob reachable from every ref (``git rev-list --objects --all``: what a clone or
a push can carry; reflogs and unreachable objects stay on this machine and are left out) is
read once, through one ``git cat-file --batch`` process. Only the blobs holding a secret are
then placed, by one walk of the history with parents before children (``git log --reverse
--topo-order --raw``): for each path where such a blob appears, the first commit that brought it
there. A secret is reported once per path, at the first commit whose version of that path holds
it, with its line in that version; a token in a file copied to three paths is three findings.

Staged: the blobs the index holds for the files that differ from ``HEAD`` (what the next commit
adds or changes), read from the index git is using (``GIT_INDEX_FILE`` too, as in a hook).
Submodules are skipped: their commits live in another repository.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from hubtokens.core.errors import ScanFailed, UsageError
from hubtokens.core.scan.files import ScanStats, scan_stream
from hubtokens.core.scan.findings import Finding

_GITLINK_MODE = b"160000"  # a submodule's commit, not a blob of this repository
_STAGED_STATUSES = frozenset(b"AMT")  # added, modified, type changed (renames are off)


def scan_git(
    repo: Path,
    *,
    staged: bool = False,
    cancelled: threading.Event | None = None,
    stats: ScanStats | None = None,
) -> Iterator[Finding]:
    """Findings in the history of the repository holding ``repo``, or in what is staged there.

    ``stats`` counts each blob read as a file."""
    top = _repository_top(repo, need_work_tree=staged)
    reading = _BlobScan(top, cancelled, stats if stats is not None else ScanStats())
    if staged:
        yield from _scan_staged(top, reading)
    else:
        yield from _scan_history(top, reading)


def repository_top(repo: Path) -> Path:
    """The work tree's top folder (a bare repository, or a folder inside the git folder: the git
    folder); UsageError outside one."""
    return _repository_top(repo, need_work_tree=False)


def git_output(cwd: Path, *args: str) -> bytes:
    """What ``git args`` prints, run in ``cwd``; its own message as the error when it fails."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=_git_env(), capture_output=True, check=False
        )
    except FileNotFoundError:
        raise ScanFailed("git is not installed", hint="install git to scan a repository") from None
    if done.returncode != 0:
        raise ScanFailed(f"git {args[0]} failed: {_last_line(done.stderr)}")
    return done.stdout


def _repository_top(repo: Path, *, need_work_tree: bool) -> Path:
    if not repo.is_dir():
        raise UsageError(f"{repo}: no such folder")
    try:
        answer = git_output(
            repo, "rev-parse", "--is-bare-repository", "--is-inside-git-dir", "--absolute-git-dir"
        )
    except ScanFailed as exc:
        if "not a git repository" not in exc.message:
            raise
        raise UsageError(
            f"{repo} is not in a git repository",
            hint="--git, --staged and the hook options work in a git repository",
        ) from None
    bare, inside_git_dir, git_dir = os.fsdecode(answer).splitlines()
    if bare == "true":
        if need_work_tree:
            raise UsageError(f"{repo} is a bare repository: nothing is staged there")
        return Path(git_dir)
    if inside_git_dir == "true":  # the git folder of a work tree: its history is there too
        if need_work_tree:
            raise UsageError(
                f"{repo} is inside the git folder: nothing is staged there",
                hint="run --staged in the work tree",
            )
        return Path(git_dir)
    return Path(os.fsdecode(git_output(repo, "rev-parse", "--show-toplevel").rstrip(b"\n")))


# --- history -----------------------------------------------------------------------------------


def _scan_history(top: Path, reading: _BlobScan) -> Iterator[Finding]:
    found = reading.reachable()
    if not found or _is_set(reading.cancelled):
        return
    claimed: dict[tuple[str, str], str] = {}  # (path, secret) -> the blob it is reported in
    placed: set[str] = set()
    for commit, path, oid in _first_places(top, set(found), reading.cancelled):
        placed.add(oid)
        for finding in found[oid]:
            key = (path, finding.secret.reveal())
            if claimed.setdefault(key, oid) == oid:
                yield dataclasses.replace(finding, path=path, commit=commit)
    # A blob no commit holds (a tag naming a blob or a tree): where rev-list saw it, no commit.
    # Sorted: a set's order changes from run to run (string hashing is salted per process).
    for oid in sorted(found.keys() - placed):
        yield from found[oid]


def _first_places(
    top: Path, wanted: set[str], cancelled: threading.Event | None
) -> Iterator[tuple[str, str, str]]:
    """(commit, path, blob) for each place a wanted blob appears, at its first commit there."""
    command = [
        "log",
        "--all",
        "--reverse",
        "--topo-order",  # parents before children: the first commit seen is the one that added it
        "--format=%x00%H",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--root",  # a root commit adds its whole tree (whatever log.showRoot says)
        "--diff-merges=first-parent",  # what a merge brought in, and an evil merge's own lines
        "--no-show-signature",
    ]
    seen: set[tuple[str, str]] = set()
    commit = ""
    header: bytes | None = None
    with _git_fields(top, command) as fields:
        for field in fields:
            if header is not None:  # the path that follows a raw line
                dst_mode, oid, _status = _raw_destination(header)
                header = None
                path = os.fsdecode(field)
                if oid in wanted and dst_mode != _GITLINK_MODE and (oid, path) not in seen:
                    seen.add((oid, path))
                    yield commit, path, oid
            elif field.startswith((b":", b"\n:")):
                header = field.lstrip(b"\n")
            elif field.strip():
                commit = field.strip().decode("ascii")
                if _is_set(cancelled):
                    return


def _raw_destination(header: bytes) -> tuple[bytes, str, bytes]:
    """(mode, object id, status) of the new side of a ``--raw`` line."""
    _src_mode, dst_mode, _src, dst, status = header.removeprefix(b":").split(b" ", 4)
    return dst_mode, dst.decode("ascii"), status


# --- staged ------------------------------------------------------------------------------------


def _scan_staged(top: Path, reading: _BlobScan) -> Iterator[Finding]:
    raw = git_output(top, "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames")
    fields = raw.split(b"\0")
    blobs: list[tuple[str, str]] = []
    for header, name in zip(fields[0::2], fields[1::2], strict=False):
        dst_mode, oid, status = _raw_destination(header)
        if status[:1] and status[0] in _STAGED_STATUSES and dst_mode != _GITLINK_MODE:
            blobs.append((oid, os.fsdecode(name)))
    found = reading.blobs(blobs)
    for oid, path in blobs:
        for finding in found.get(oid, ()):
            yield dataclasses.replace(finding, path=path)


# --- reading blobs -----------------------------------------------------------------------------


@dataclasses.dataclass
class _BlobScan:
    """Reads blobs through one ``git cat-file --batch``, each once, and scans them as read.

    A blob is shown by a path it appears at until it is placed; that path also says whether it
    is a docker auth file (``config.json``) whose ``auths`` are decoded.
    """

    top: Path
    cancelled: threading.Event | None
    stats: ScanStats

    def reachable(self) -> dict[str, list[Finding]]:
        """The findings of every blob reachable from a ref, by blob id.

        rev-list's "<blob> <path>" lines go straight into cat-file, which echoes the path
        (``%(rest)``): no list of every blob is kept here."""
        listing_command = [
            "git",
            "rev-list",
            "--objects",
            "--all",
            "--filter=object:type=blob",  # blobs only, and
            "--filter-provided-objects",  # also when a ref names one directly
        ]
        with (
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(
                listing_command, cwd=self.top, env=_git_env(), stdout=subprocess.PIPE, stderr=errors
            ) as listing,
        ):
            try:
                found = self._cat_file(listing.stdout, None)
            finally:
                if _is_set(self.cancelled):
                    listing.kill()
            if listing.wait() != 0 and not _is_set(self.cancelled):
                errors.seek(0)
                raise ScanFailed(f"git rev-list failed: {_last_line(errors.read())}")
        return found

    def blobs(self, blobs: Sequence[tuple[str, str]]) -> dict[str, list[Finding]]:
        """The findings of these (blob id, path) blobs, by blob id."""
        requests = {
            oid: f"{oid} {path}\n" if "\n" not in path else f"{oid}\n" for oid, path in blobs
        }
        if not requests:
            return {}
        return self._cat_file(subprocess.PIPE, "".join(requests.values()).encode())

    def _cat_file(
        self, source: IO[bytes] | int | None, requests: bytes | None
    ) -> dict[str, list[Finding]]:
        """What cat-file reads from ``source`` (or from ``requests``, written to its stdin)."""
        found: dict[str, list[Finding]] = {}
        with (
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(
                ["git", "cat-file", "--batch=%(objectname) %(objectsize) %(rest)", "--buffer"],
                cwd=self.top,
                env=_git_env(),
                stdin=source,
                stdout=subprocess.PIPE,
                stderr=errors,
                bufsize=1 << 16,
            ) as process,
        ):
            assert process.stdout is not None
            feeder = None
            if requests is not None:
                feeder = threading.Thread(target=_feed, args=(process.stdin, requests), daemon=True)
                feeder.start()
            try:
                while not _is_set(self.cancelled):
                    header = process.stdout.readline()
                    if not header:
                        break
                    oid, findings = self._blob(process.stdout, header)
                    if findings is None:
                        errors.seek(0)
                        raise ScanFailed(f"git cat-file failed: {_last_line(errors.read())}")
                    if findings:
                        found[oid] = findings
            finally:
                process.kill()
                if feeder is not None:
                    feeder.join()
        return found

    def _blob(self, stream: IO[bytes], header: bytes) -> tuple[str, list[Finding] | None]:
        """The findings of the blob whose header was just read (None: the stream broke)."""
        oid, _, rest = header.removesuffix(b"\n").partition(b" ")
        size, _, name = rest.partition(b" ")
        display = os.fsdecode(name) or oid.decode("ascii", "replace")
        if not size.isdigit():  # "<id> missing": e.g. not fetched in a partial clone
            self.stats.skipped.append((display, f"{size.decode('ascii', 'replace')} in git"))
            return oid.decode("ascii", "replace"), []
        blob = _Bounded(stream, int(size))
        read, findings = scan_stream(blob.read, display)
        if not blob.drain() or stream.read(1) != b"\n":
            return "", None
        self.stats.files += 1
        self.stats.bytes += read
        return oid.decode("ascii"), findings


def _feed(stdin: IO[bytes] | None, requests: bytes) -> None:
    try:
        assert stdin is not None
        stdin.write(requests)
        stdin.close()
    except OSError:  # cat-file ended first (cancelled, or it failed): the reader says why
        pass


class _Bounded:
    """Reads one blob's bytes from the shared stream, and not a byte of the next one."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream = stream
        self._left = size

    def read(self, size: int) -> bytes:
        data = self._stream.read(min(size, self._left)) if self._left else b""
        self._left -= len(data)
        return data

    def drain(self) -> bool:
        """Skip what the scan did not read; False when the stream ended first."""
        while self._left:
            if not self.read(1 << 20):
                return False
        return True


@contextlib.contextmanager
def _git_fields(top: Path, command: Sequence[str]) -> Iterator[Iterator[bytes]]:
    """The NUL-separated fields a git command prints, read as it prints them."""
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            ["git", *command], cwd=top, env=_git_env(), stdout=subprocess.PIPE, stderr=errors
        ) as process,
    ):
        assert process.stdout is not None

        def fields(stdout: IO[bytes]) -> Iterator[bytes]:
            pending = b""
            while chunk := stdout.read(1 << 20):
                *complete, pending = (pending + chunk).split(b"\0")
                yield from complete
            if pending:
                yield pending
            if process.wait() != 0:
                errors.seek(0)
                raise ScanFailed(f"git {command[0]} failed: {_last_line(errors.read())}")

        try:
            yield fields(process.stdout)
        finally:
            process.kill()


def _is_set(cancelled: threading.Event | None) -> bool:
    return cancelled is not None and cancelled.is_set()


def _git_env() -> dict[str, str]:
    """This environment (GIT_INDEX_FILE and GIT_DIR as a hook gets them), messages in English:
    they are matched ("not a git repository") and shown."""
    return {**os.environ, "LC_ALL": "C"}


def _last_line(stderr: bytes) -> str:
    """git's reason: its first fatal or error line (advice follows it), else its last line."""
    lines = os.fsdecode(stderr).strip().splitlines()
    reasons = [line for line in lines if line.startswith(("fatal: ", "error: "))]
    if not lines:
        return "no reason given"
    return (reasons or lines[-1:])[0].removeprefix("fatal: ").removeprefix("error: ")
