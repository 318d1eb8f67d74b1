"""Scan files and folders for Docker tokens.

Each regular file under the roots is read once, in large chunks (a huge file is never loaded
whole; consecutive chunks overlap so a token across a boundary is still found). Links are
followed only while they stay inside the roots, every file and folder is visited once (which
also ends symlink loops), ``.git`` is left to the history scan, and a file that cannot be read
is counted as skipped rather than ending the scan.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hubtokens.core.scan.dockerauth import DOCKER_AUTH_FILE_NAMES, docker_auth_findings
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.patterns import (
    MAX_TOKEN_LENGTH,
    find_tokens,
    is_token,
    line_number,
    might_hold_token,
)
from hubtokens.core.secret import Secret

CHUNK_SIZE = 8 * 1024 * 1024
# What the next chunk repeats of the previous one: the byte before a token, the longest token
# and the byte after it, so the bounds of a token near the end are checked in the next chunk.
OVERLAP = MAX_TOKEN_LENGTH + 2
SKIPPED_DIRECTORIES = frozenset({".git"})

ProgressCallback = Callable[[int, int], None]  # (files scanned, bytes scanned) so far


@dataclass
class ScanStats:
    """What a scan covered, and what it had to leave out (path, reason)."""

    files: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def scan_paths(
    roots: Sequence[Path],
    *,
    cancelled: threading.Event | None = None,
    on_progress: ProgressCallback | None = None,
    stats: ScanStats | None = None,
    parallel: bool = False,
) -> Iterator[Finding]:
    """Findings in the files under ``roots`` (files or folders), in walk order.

    ``parallel``: in forked worker processes, for a program with one thread (the CLI); a
    process with other threads (Qt's included, which ``threading`` may not see) must not fork.
    ``cancelled`` is checked before each file and between the chunks of a big one (in
    parallel, between batches).
    """
    walk = _Walk(roots, stats if stats is not None else ScanStats())
    files = walk.files()
    first = list(itertools.islice(files, BATCH_FILES))
    every = itertools.chain(first, files)
    workers = _parallel_workers() if parallel else 1
    if len(first) < BATCH_FILES or workers < 2:
        # One file at a time, so that progress and cancelling follow each file.
        scanned = (_scan_one(path, display, cancelled) for path, display in every)
        yield from _results(scanned, walk.stats, cancelled, on_progress)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        located = pool.imap(_locate_batch, _batches(every))
        scanned = (_read_back(result) for result in located)
        yield from _results(scanned, walk.stats, cancelled, on_progress)


def _results(
    scanned: Iterator[_BatchResult],
    stats: ScanStats,
    cancelled: threading.Event | None,
    on_progress: ProgressCallback | None,
) -> Iterator[Finding]:
    for result in scanned:
        if cancelled is not None and cancelled.is_set():
            return
        stats.files += result.stats.files
        stats.bytes += result.stats.bytes
        stats.skipped.extend(result.stats.skipped)
        yield from result.findings
        if on_progress is not None:
            on_progress(stats.files, stats.bytes)


# --- in parallel -----------------------------------------------------------------------------
# Tokens are rare, so a worker sends back only where they are (the file, the line and the byte
# range): the parent reads those few bytes again itself, and no secret crosses a process
# boundary. A file with decoded secrets (an auth file, small) the parent scans again whole.
# Workers are forked, which is safe only while this process has one thread (the CLI);
# elsewhere (a GUI's worker thread) the scan runs in this process.

BATCH_FILES = 256

Batch = list[tuple[str, str]]  # (path to open, path to show)


@dataclass(frozen=True, slots=True)
class _Place:
    line: int | None
    kind: str
    offset: int
    length: int


@dataclass
class _BatchResult:
    stats: ScanStats
    findings: list[Finding] = field(default_factory=list)
    # per file with findings: where its tokens are, or None to scan the file again
    places: list[tuple[str, str, list[_Place] | None]] = field(default_factory=list)


def _batches(files: Iterator[tuple[str, str]]) -> Iterator[Batch]:
    while batch := list(itertools.islice(files, BATCH_FILES)):
        yield batch


def _parallel_workers() -> int:
    alone = threading.active_count() == 1 and threading.current_thread() is threading.main_thread()
    if not alone or sys.platform != "linux":
        return 1
    return len(os.sched_getaffinity(0))


def _scan_one(path: str, display: str, cancelled: threading.Event | None) -> _BatchResult:
    result = _BatchResult(ScanStats())
    result.findings = scan_file(path, display, result.stats, cancelled=cancelled)
    return result


def _locate_batch(batch: Batch) -> _BatchResult:
    """In a worker: the batch's counts, and where the findings are (without the secrets)."""
    result = _BatchResult(ScanStats())
    for path, display in batch:
        findings = scan_file(path, display, result.stats)
        if findings:
            places = [
                _Place(f.line, f.kind, f.offset, len(f.secret))
                for f in findings
                if f.offset is not None
            ]
            result.places.append((path, display, places if len(places) == len(findings) else None))
    return result


def _read_back(located: _BatchResult) -> _BatchResult:
    """In the parent: the findings of a worker's batch, their secrets read from the files."""
    result = _BatchResult(located.stats)
    for path, display, places in located.places:
        found = _read_places(path, display, places) if places is not None else None
        result.findings.extend(
            found if found is not None else scan_file(path, display, ScanStats())
        )
    return result


def _read_places(path: str, display: str, places: list[_Place]) -> list[Finding] | None:
    """The tokens at ``places``, or None when the file no longer holds them there."""
    try:
        with open(path, "rb", buffering=0) as stream:
            found = []
            for place in places:
                stream.seek(place.offset)
                value = stream.read(place.length).decode("ascii", "replace")
                if not is_token(value):
                    return None
                secret = Secret(value)
                found.append(
                    Finding(display, place.line, None, place.kind, secret, offset=place.offset)
                )
            return found
    except OSError:
        return None


def scan_file(
    path: str, display: str, stats: ScanStats, *, cancelled: threading.Event | None = None
) -> list[Finding]:
    """Findings in one regular file; a file that cannot be read is recorded as skipped."""
    try:
        # os.open: no file object to build, 50,000 times. O_NONBLOCK: should the file have
        # become a FIFO since the walk saw it, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            # Into a buffer kept for the next file: most files fit, and no memory is allocated.
            buffer = _read_buffer()
            first = memoryview(buffer)[: os.readv(fd, [buffer])]
            size, findings = _scan_from(first, functools.partial(os.read, fd), display, cancelled)
        finally:
            os.close(fd)
    except OSError as exc:
        stats.skipped.append((display, exc.strerror or type(exc).__name__))
        return []
    stats.files += 1
    stats.bytes += size
    return findings


def scan_stream(
    read: Callable[[int], bytes | None],
    display: str,
    *,
    cancelled: threading.Event | None = None,
) -> tuple[int, list[Finding]]:
    """The size of what ``read`` returns up to its end (``b""``), and the findings in it.

    ``display`` names it in the findings, and its file name says whether it is an auth file.
    When ``cancelled`` is set, reading stops after the current chunk.
    """
    return _scan_from(read(CHUNK_SIZE) or b"", read, display, cancelled)


_buffers = threading.local()


def _read_buffer() -> bytearray:
    """This thread's buffer of one chunk."""
    buffer: bytearray | None = getattr(_buffers, "buffer", None)
    if buffer is None or len(buffer) != CHUNK_SIZE:
        buffer = _buffers.buffer = bytearray(CHUNK_SIZE)
    return buffer


def _scan_from(
    first: bytes | memoryview,
    read: Callable[[int], bytes | None],
    display: str,
    cancelled: threading.Event | None,
) -> tuple[int, list[Finding]]:
    """The rest of :func:`scan_stream`, once the first chunk is read."""
    if len(first) < CHUNK_SIZE:
        return len(first), _whole(first, display)
    return _streamed(bytes(first), read, display, cancelled)


def _whole(view: bytes | memoryview, display: str) -> list[Finding]:
    auth_file = display.rpartition("/")[2] in DOCKER_AUTH_FILE_NAMES
    if not auth_file and not might_hold_token(view):
        return []  # most files: one pass of the pattern, nothing copied
    data = bytes(view)
    findings = [
        Finding(display, line_number(data, m.start), None, m.kind, m.secret, offset=m.start)
        for m in find_tokens(data)
    ]
    if auth_file:
        findings.extend(docker_auth_findings(data, display))
    return findings


def _streamed(
    first: bytes,
    read: Callable[[int], bytes | None],
    display: str,
    cancelled: threading.Event | None,
) -> tuple[int, list[Finding]]:
    """A file bigger than one chunk: chunk by chunk, each starting with the previous tail."""
    findings: list[Finding] = []
    size = len(first)
    buffer = first
    del first  # held by nothing else: its memory goes with the first carry
    offset = 0  # where ``buffer`` starts in the file
    lines_before = 0  # newlines in the file before ``buffer``
    skip_head = 0  # the carried byte before the overlap was checked with the previous chunk
    while True:
        chunk = None if cancelled is not None and cancelled.is_set() else read(CHUNK_SIZE)
        last = not chunk
        limit = len(buffer) if last else len(buffer) - OVERLAP
        for match in find_tokens(buffer):
            if skip_head <= match.start < limit:
                line = lines_before + line_number(buffer, match.start)
                at = offset + match.start
                findings.append(Finding(display, line, None, match.kind, match.secret, offset=at))
        if not chunk:
            return size, findings
        size += len(chunk)
        keep_from = limit - 1
        offset += keep_from
        lines_before += buffer.count(b"\n", 0, keep_from)
        buffer = buffer[keep_from:] + chunk
        skip_head = 1


class _Walk:
    """The regular files under the roots, each once, with the name to show for it."""

    def __init__(self, roots: Sequence[Path], stats: ScanStats) -> None:
        self.roots = list(roots)
        self.stats = stats
        self._boundaries = [os.path.realpath(root) for root in self.roots]
        self._seen: set[tuple[int, int]] = set()

    def files(self) -> Iterator[tuple[str, str]]:
        for root in self.roots:
            given = os.fspath(root)
            yield from self._entry(given, given, follow=True)

    def _entry(self, path: str, display: str, *, follow: bool) -> Iterator[tuple[str, str]]:
        try:
            info = os.stat(path, follow_symlinks=follow)
        except OSError as exc:
            self.stats.skipped.append((display, exc.strerror or type(exc).__name__))
            return
        if not self._first_visit(info):
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self._directory(path, display, info.st_dev)
        elif stat.S_ISREG(info.st_mode):
            yield path, display

    def _first_visit(self, info: os.stat_result) -> bool:
        return self._first_visit_of((info.st_dev, info.st_ino))

    def _first_visit_of(self, key: tuple[int, int]) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _directory(self, path: str, display: str, device: int) -> Iterator[tuple[str, str]]:
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            self.stats.skipped.append((display, exc.strerror or type(exc).__name__))
            return
        prefix = "" if display == "." else display.rstrip("/") + "/"
        for entry in entries:
            shown = prefix + entry.name
            try:
                if entry.is_symlink():
                    if self._inside_roots(entry.path):
                        yield from self._entry(entry.path, shown, follow=True)
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRECTORIES:
                        yield from self._entry(entry.path, shown, follow=False)
                # A file shares its folder's device: the inode from the listing is enough.
                elif entry.is_file(follow_symlinks=False) and self._first_visit_of(
                    (device, entry.inode())
                ):
                    yield entry.path, shown
            except OSError as exc:
                self.stats.skipped.append((shown, exc.strerror or type(exc).__name__))

    def _inside_roots(self, link: str) -> bool:
        target = os.path.realpath(link)
        return any(
            target == boundary or target.startswith(boundary.rstrip("/") + "/")
            for boundary in self._boundaries
        )
