"""Atomic, owner-only file writes (temp file in the same folder + ``os.replace``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class ChangedMeanwhile(Exception):
    """The file changed after it was read: the edit would undo another program's."""


def write_atomic(
    path: Path, text: str, *, mode: int = 0o600, unchanged: Callable[[], bool] | None = None
) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never a mix.

    ``unchanged``, when given, is asked at the last moment, just before the replace: if it
    says the file changed since the caller read it, nothing is replaced and
    ``ChangedMeanwhile`` is raised, so the caller can read again and redo its edit instead of
    overwriting what another program wrote meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if unchanged is not None and not unchanged():
            raise ChangedMeanwhile(str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
