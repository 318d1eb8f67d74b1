"""Reading one file (or stream) for tokens: in chunks that overlap, so a huge file is never
loaded whole and a token across a chunk boundary is still found; auth files are decoded too."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hubtokens.core.scan.dockerauth import DOCKER_AUTH_FILE_NAMES, docker_auth_findings
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.patterns import (
    MAX_TOKEN_LENGTH,
    find_tokens,
    line_number,
    might_hold_token,
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
