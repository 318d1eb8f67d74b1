"""Scan files and folders for Docker tokens.

The walk: links are followed only while they stay inside the roots, every file and folder is
visited once (which also ends symlink loops), only regular files are opened, ``.git`` is left
to the history scan, and what cannot be listed or read is counted as skipped rather than
ending the scan. Each file is read once (``reading``), here or in worker processes
(``parallel``).
"""

from __future__ import annotations

import itertools
import operator
import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.parallel import BATCH_FILES, BatchResult, in_workers, parallel_workers

# The reading of one file, for the callers that scan files or streams of their own.
from hubtokens.core.scan.reading import CHUNK_SIZE as CHUNK_SIZE
from hubtokens.core.scan.reading import ScanStats as ScanStats
from hubtokens.core.scan.reading import scan_file as scan_file
from hubtokens.core.scan.reading import scan_stream as scan_stream

SKIPPED_DIRECTORIES = frozenset({".git"})

ProgressCallback = Callable[[int, int], None]  # (files scanned, bytes scanned) so far


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
    workers = parallel_workers() if parallel else 1
    if len(first) < BATCH_FILES or workers < 2:
        # One file at a time, so that progress and cancelling follow each file.
        scanned: Iterator[BatchResult] = (_scan_one(path, cancelled) for path in every)
    else:
        scanned = in_workers(every, workers)
    yield from _results(scanned, walk.stats, cancelled, on_progress)


def _scan_one(path: str, cancelled: threading.Event | None) -> BatchResult:
    result = BatchResult(ScanStats())
    result.findings = scan_file(path, path, result.stats, cancelled=cancelled)
    return result


def _results(
    scanned: Iterator[BatchResult],
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


class _Walk:
    """The regular files under the roots, each once, each named by the path to show for it
    (which opens the same file: the root as given, then the names under it)."""

    def __init__(self, roots: Sequence[Path], stats: ScanStats) -> None:
        self.roots = list(roots)
        self.stats = stats
        self._boundaries = [os.path.realpath(root) for root in self.roots]
        self._seen: set[tuple[int, int]] = set()

    def files(self) -> Iterator[str]:
        for root in self.roots:
            yield from self._entry(os.fspath(root), follow=True, given_root=True)

    def _entry(self, path: str, *, follow: bool, given_root: bool = False) -> Iterator[str]:
        try:
            info = os.stat(path, follow_symlinks=follow)
        except OSError as exc:
            self.stats.skipped.append((path, exc.strerror or type(exc).__name__))
            return
        if not self._first_visit_of((info.st_dev, info.st_ino)):
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self._directory(path, info.st_dev)
        elif stat.S_ISREG(info.st_mode):
            yield path
        elif given_root:  # a device or a FIFO named on purpose: say why nothing was read
            self.stats.skipped.append((path, "not a file or folder"))

    def _first_visit_of(self, key: tuple[int, int]) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _directory(self, path: str, device: int) -> Iterator[str]:
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=_name)
        except OSError as exc:
            self.stats.skipped.append((path, exc.strerror or type(exc).__name__))
            return
        prefix = "" if path == "." else path.rstrip("/") + "/"
        for entry in entries:
            child = prefix + entry.name
            try:  # the listing knows each entry's type and inode: no system call per file
                if entry.is_symlink():
                    if self._inside_roots(child):
                        yield from self._entry(child, follow=True)
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRECTORIES:
                        yield from self._entry(child, follow=False)
                # A file shares its folder's device.
                elif entry.is_file(follow_symlinks=False) and self._first_visit_of(
                    (device, entry.inode())
                ):
                    yield child
            except OSError as exc:
                self.stats.skipped.append((child, exc.strerror or type(exc).__name__))

    def _inside_roots(self, link: str) -> bool:
        target = os.path.realpath(link)
        return any(
            target == boundary or target.startswith(boundary.rstrip("/") + "/")
            for boundary in self._boundaries
        )


_name = operator.attrgetter("name")
