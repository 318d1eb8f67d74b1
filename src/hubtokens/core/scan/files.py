"""Scan files and folders for Docker tokens.

Each regular file under the roots is read once, in large chunks (a huge file is never loaded
whole; consecutive chunks overlap so a token across a boundary is still found). Links are
followed only while they stay inside the roots, every file and folder is visited once (which
also ends symlink loops), ``.git`` is left to the history scan, and a file that cannot be read
is counted as skipped rather than ending the scan.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hubtokens.core.scan.dockerauth import DOCKER_AUTH_FILE_NAMES, docker_auth_findings
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.patterns import MAX_TOKEN_LENGTH, find_tokens, line_number

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
) -> Iterator[Finding]:
    """Findings in the files under ``roots`` (files or folders), in walk order."""
    walk = _Walk(roots, stats if stats is not None else ScanStats())
    for display, real in walk.files():
        if cancelled is not None and cancelled.is_set():
            return
        yield from scan_file(real, display, walk.stats)
        if on_progress is not None:
            on_progress(walk.stats.files, walk.stats.bytes)


def scan_file(path: str, display: str, stats: ScanStats) -> list[Finding]:
    """Findings in one regular file; a file that cannot be read is recorded as skipped."""
    try:
        with open(path, "rb", buffering=0) as stream:
            size, findings = scan_stream(stream.read, display)
    except OSError as exc:
        stats.skipped.append((display, exc.strerror or type(exc).__name__))
        return []
    stats.files += 1
    stats.bytes += size
    return findings


def scan_stream(read: Callable[[int], bytes | None], display: str) -> tuple[int, list[Finding]]:
    """The size of what ``read`` returns up to its end (``b""``), and the findings in it.

    ``display`` names it in the findings, and its file name says whether it is an auth file.
    """
    first = read(CHUNK_SIZE) or b""
    if len(first) < CHUNK_SIZE:
        return len(first), list(_whole(first, display))
    return _streamed(first, read, display)


def _whole(data: bytes, display: str) -> Iterator[Finding]:
    for match in find_tokens(data):
        yield Finding(display, line_number(data, match.start), None, match.kind, match.secret)
    if os.path.basename(display) in DOCKER_AUTH_FILE_NAMES:
        yield from docker_auth_findings(data, display)


def _streamed(
    first: bytes, read: Callable[[int], bytes | None], display: str
) -> tuple[int, list[Finding]]:
    """A file bigger than one chunk: chunk by chunk, each starting with the previous tail."""
    findings: list[Finding] = []
    size = len(first)
    buffer = first
    lines_before = 0  # newlines in the file before ``buffer``
    skip_head = 0  # the carried byte before the overlap was checked with the previous chunk
    while True:
        chunk = read(CHUNK_SIZE)
        last = not chunk
        limit = len(buffer) if last else len(buffer) - OVERLAP
        for match in find_tokens(buffer):
            if skip_head <= match.start < limit:
                line = lines_before + line_number(buffer, match.start)
                findings.append(Finding(display, line, None, match.kind, match.secret))
        if not chunk:
            return size, findings
        size += len(chunk)
        keep_from = limit - 1
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
