"""Scanning files in forked worker processes (the CLI's scan of a big tree).

Tokens are rare, so a worker sends back only where they are (the file, the line and the byte
range): the parent reads those few bytes again itself, and no secret crosses a process
boundary. A file with decoded secrets (an auth file, small) the parent scans again whole.
Workers are forked, which is safe only while this process has one thread (the CLI);
elsewhere (a GUI's worker thread) the scan runs in this process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.patterns import is_token
from hubtokens.core.scan.reading import ScanStats, scan_file
from hubtokens.core.secret import Secret

BATCH_FILES = 256

Batch = list[str]  # paths of files


@dataclass(frozen=True, slots=True)
class Place:
    line: int | None
    kind: str
    offset: int
    length: int


@dataclass
class BatchResult:
    stats: ScanStats
    findings: list[Finding] = field(default_factory=list)
    # per file with findings: where its tokens are, or None to scan the file again
    places: list[tuple[str, list[Place] | None]] = field(default_factory=list)


def _batches(files: Iterator[str]) -> Iterator[Batch]:
    while batch := list(itertools.islice(files, BATCH_FILES)):
        yield batch


def parallel_workers() -> int:
    alone = threading.active_count() == 1 and threading.current_thread() is threading.main_thread()
    if not alone or sys.platform != "linux":
        return 1
    return len(os.sched_getaffinity(0))


def in_workers(files: Iterator[str], workers: int) -> Iterator[BatchResult]:
    """The results of ``files`` in batches, in order, scanned by ``workers`` forked processes."""
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        # Four batches a message: fewer round trips for the parent, still even for the workers.
        for located in pool.imap(_locate_batch, _batches(files), chunksize=4):
            yield _read_back(located)


def _locate_batch(batch: Batch) -> BatchResult:
    """In a worker: the batch's counts, and where the findings are (without the secrets)."""
    result = BatchResult(ScanStats())
    for path in batch:
        findings = scan_file(path, path, result.stats)
        if findings:
            places = [
                Place(f.line, f.kind, f.offset, len(f.secret))
                for f in findings
                if f.offset is not None
            ]
            result.places.append((path, places if len(places) == len(findings) else None))
    return result


def _read_back(located: BatchResult) -> BatchResult:
    """In the parent: the findings of a worker's batch, their secrets read from the files."""
    result = BatchResult(located.stats)
    for path, places in located.places:
        found = _read_places(path, places) if places is not None else None
        result.findings.extend(found if found is not None else scan_file(path, path, ScanStats()))
    return result


def _read_places(path: str, places: list[Place]) -> list[Finding] | None:
    """The tokens at ``places``, or None when the file no longer holds them there (or is no
    longer a regular file: one swapped for a FIFO since the worker read it must not block the
    parent, so it is opened without blocking and checked before it is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        found = []
        for place in places:
            value = os.pread(fd, place.length, place.offset).decode("ascii", "replace")
            if not is_token(value):
                return None
            secret = Secret(value)
            found.append(Finding(path, place.line, None, place.kind, secret, offset=place.offset))
        return found
    except OSError:
        return None
    finally:
        os.close(fd)
