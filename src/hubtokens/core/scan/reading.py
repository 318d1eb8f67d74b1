"""Reading one file (or stream) for tokens: in chunks that overlap, so a huge file is never
loaded whole and a token across a chunk boundary is still found; auth files are decoded too.

Every chunk goes into one buffer per thread, after the overlap kept from the chunk before:
no memory is allocated or copied per file or per chunk, except for a file the pattern hits.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hubtokens.core.scan.dockerauth import docker_auth_findings, is_auth_file
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.patterns import (
    MAX_TOKEN_LENGTH,
    find_tokens,
    might_hold_token,
    with_lines,
)

CHUNK_SIZE = 8 * 1024 * 1024
# What the next chunk repeats of the previous one: the byte before a token, the longest token
# and the byte after it, so the bounds of a token near the end are checked in the next chunk.
OVERLAP = MAX_TOKEN_LENGTH + 2


@dataclass
class ScanStats:
    """What a scan covered, and what it had to leave out (path, reason)."""

    files: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


Fill = Callable[[memoryview], int]  # puts the next bytes into the view; how many (0: the end)


def scan_file(
    path: str, display: str, stats: ScanStats, *, cancelled: threading.Event | None = None
) -> list[Finding]:
    """Findings in one regular file; a file that cannot be read is recorded as skipped."""
    try:
        # os.open: no file object to build, 50,000 times. O_NONBLOCK: should the file have
        # become a FIFO since the walk saw it, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            # A regular file fills the view unless it ends: one read for most files. Its lines
            # are counted only when a big one holds a token (a second, rarely needed, pass).
            fill = functools.partial(_read_into, fd)
            size, findings = _scan(fill, display, cancelled, count_lines=False)
            if any(f.line is None and f.offset is not None for f in findings):
                findings = _numbered(fd, findings)
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

    def fill(view: memoryview) -> int:
        filled = 0
        while filled < len(view) and (data := read(len(view) - filled)):
            view[filled : filled + len(data)] = data
            filled += len(data)
        return filled

    return _scan(fill, display, cancelled)


_buffers = threading.local()


def _work_buffer() -> tuple[bytearray, memoryview]:
    """This thread's buffer (the overlap kept from the chunk before, then one chunk), and a
    view of its first chunk."""
    kept: tuple[bytearray, memoryview] | None = getattr(_buffers, "kept", None)
    if kept is None or len(kept[1]) != CHUNK_SIZE:
        buffer = bytearray(OVERLAP + CHUNK_SIZE)
        kept = _buffers.kept = (buffer, memoryview(buffer)[:CHUNK_SIZE])
    return kept


def _read_into(fd: int, view: memoryview) -> int:
    return os.readv(fd, [view])


def _scan(
    fill: Fill, display: str, cancelled: threading.Event | None, *, count_lines: bool = True
) -> tuple[int, list[Finding]]:
    work, head = _work_buffer()
    size = fill(head)
    if size < CHUNK_SIZE:
        return size, _whole(work, size, display)
    return _streamed(work, fill, display, cancelled, count_lines)


def _whole(work: bytearray, size: int, display: str) -> list[Finding]:
    auth_file = is_auth_file(display)
    if not auth_file and not might_hold_token(work, size):
        return []  # most files: one pass of the pattern, nothing copied
    data = bytes(work[:size])
    findings = [
        Finding(display, line, None, m.kind, m.secret, offset=m.start)
        for line, m in with_lines(data, find_tokens(data))
    ]
    if auth_file:
        # A token in a plain field is found by both: the entry's finding names its owner.
        decoded = list(docker_auth_findings(data, display))
        secrets = {f.secret for f in decoded}
        findings = [f for f in findings if f.secret not in secrets] + decoded
    return findings


def _streamed(
    work: bytearray,
    fill: Fill,
    display: str,
    cancelled: threading.Event | None,
    count_lines: bool,
) -> tuple[int, list[Finding]]:
    """A file bigger than one chunk: ``work`` holds its first chunk; chunk by chunk after it.

    Without ``count_lines`` the findings' lines are None (counting costs as much as the search).
    """
    findings: list[Finding] = []
    size = filled = CHUNK_SIZE  # the file so far; ``work[:filled]`` holds its last part
    offset = 0  # where ``work`` starts in the file
    lines_before = 0  # newlines in the file before ``work``
    skip_head = 0  # the carried byte before the overlap was checked with the previous chunk
    last = False
    while True:
        # Tokens starting at ``limit`` or later may go on in the next chunk: they are looked
        # at with it, after the byte before them and the overlap are carried to the front.
        limit = filled if last else filled - OVERLAP
        kept = (m for m in find_tokens(work, filled) if skip_head <= m.start < limit)
        numbered = (
            with_lines(work, kept, lines_before) if count_lines else ((None, m) for m in kept)
        )
        for line, match in numbered:
            at = offset + match.start
            findings.append(Finding(display, line, None, match.kind, match.secret, offset=at))
        if last:
            return size, findings
        keep_from = limit - 1
        offset += keep_from
        if count_lines:
            lines_before += work.count(b"\n", 0, keep_from)
        work[: filled - keep_from] = work[keep_from:filled]
        carried, skip_head = filled - keep_from, 1
        stopped = cancelled is not None and cancelled.is_set()
        got = 0 if stopped else fill(memoryview(work)[carried : carried + CHUNK_SIZE])
        size += got
        filled = carried + got
        last = got == 0


def _numbered(fd: int, findings: list[Finding]) -> list[Finding]:
    """``findings`` with the lines of those at a known offset: the newlines before it counted."""
    work, head = _work_buffer()  # free again: the file's scan is over
    lines: dict[int, int] = {}
    newlines = read = 0
    for offset in sorted({f.offset for f in findings if f.offset is not None}):
        while read < offset and (
            got := os.preadv(fd, [head[: min(CHUNK_SIZE, offset - read)]], read)
        ):
            newlines += work.count(b"\n", 0, got)
            read += got
        lines[offset] = newlines + 1
    return [
        dataclasses.replace(f, line=lines[f.offset])
        if f.line is None and f.offset is not None
        else f
        for f in findings
    ]
