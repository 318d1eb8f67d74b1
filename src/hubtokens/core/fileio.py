"""Atomic, owner-only file writes (temp file in the same folder, then a rename).

Settings and docker's config.json are also written by other programs (a second instance, the
docker CLI). An edit names the text it started from (``EditedFrom``); the write then replaces
the file only if that is still what the file holds, else raises ``ChangedMeanwhile`` so the
caller reads again and redoes its edit on top. On Linux the check and the replace are one step
(``renameat2`` swaps the files, and what was swapped out is what the file held), so another
program's write cannot be lost; elsewhere the file is re-read just before ``os.replace``, which
leaves a window of microseconds.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class ChangedMeanwhile(Exception):
    """The file changed after it was read: the edit would undo another program's."""


@dataclass(frozen=True)
class EditedFrom:
    """The text an edit started from; None when there was no file."""

    text: str | None


def write_atomic(
    path: Path, text: str, *, mode: int = 0o600, edited_from: EditedFrom | None = None
) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never a mix.

    With ``edited_from``, the file is replaced only if it still holds that text (or still does
    not exist); otherwise it is left as the other program wrote it and ``ChangedMeanwhile`` is
    raised."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if edited_from is None:
            os.replace(tmp, path)
        elif not _swap_in(tmp, path, text, edited_from.text):
            if _read(str(path)) != edited_from.text:
                raise ChangedMeanwhile(str(path))
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _swap_in(tmp: str, path: Path, text: str, expected: str | None) -> bool:
    """Put ``tmp`` in place of ``path`` if ``path`` holds ``expected``, in one step; False when
    this system or file system cannot (the caller then checks and replaces)."""
    target = str(path)
    if expected is None:  # there was no file: create it only if still none
        try:
            return _renameat2(tmp, target, _RENAME_NOREPLACE)
        except FileExistsError:
            raise ChangedMeanwhile(target) from None
    try:
        if not _renameat2(tmp, target, _RENAME_EXCHANGE):
            return False
    except FileNotFoundError:  # removed meanwhile
        raise ChangedMeanwhile(target) from None
    if _read(tmp) == expected:
        return True  # tmp now holds the old text, and goes
    # Another program wrote in between: give its text back. Should yet another write have come
    # in the microseconds since (tmp then holds it, not ours), one more swap puts that newest
    # one in place.
    _renameat2(tmp, target, _RENAME_EXCHANGE)
    if _read(tmp) != text:
        _renameat2(tmp, target, _RENAME_EXCHANGE)
    raise ChangedMeanwhile(target)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable: not the text an edit started from


_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2(source: str, target: str, flags: int) -> bool:
    """Linux's renameat2(2); False where it does not exist or the file system refuses it."""
    function = _libc_renameat2()
    if function is None:
        return False
    import ctypes
    import errno

    result = function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), target)


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    """The C library's renameat2, looked up once; None off Linux or before glibc 2.28."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    function: Callable[..., int] | None = getattr(
        ctypes.CDLL(None, use_errno=True), "renameat2", None
    )
    return function
