"""Atomic writes, and edits that never undo another program's write (``core/fileio.py``).

The race itself is made deterministic: another program's write is slipped in at the last
moment, right before our rename, through the one function that renames. The reliability
suite (tests/reliability/test_files.py) hammers the same code with a real second process.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from hubtokens.core import fileio
from hubtokens.core.fileio import ChangedMeanwhile, EditedFrom, write_atomic

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_write_is_owner_only_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "settings.json"
    write_atomic(path, "{}\n")
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert leftovers(path.parent) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "check-then-replace"])
def test_an_edit_of_the_text_the_file_still_holds_replaces_it(
    tmp_path: Path, exchange: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not exchange:
        monkeypatch.setattr(fileio, "_renameat2", lambda *args: False)
    path = tmp_path / "config.json"
    path.write_text("old")
    write_atomic(path, "new", edited_from=EditedFrom("old"))
    write_atomic(tmp_path / "created.json", "made", edited_from=EditedFrom(None))
    assert (path.read_text(), (tmp_path / "created.json").read_text()) == ("new", "made")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("before", "edited_from"),
    [("theirs", "old"), ("theirs", None), (None, "old")],
    ids=["rewritten", "created", "removed"],
)
@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "check-then-replace"])
def test_an_edit_of_a_file_changed_since_is_refused_and_the_file_left_alone(
    tmp_path: Path,
    exchange: bool,
    before: str | None,
    edited_from: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not exchange:
        monkeypatch.setattr(fileio, "_renameat2", lambda *args: False)
    path = tmp_path / "config.json"
    if before is not None:
        path.write_text(before)
    with pytest.raises(ChangedMeanwhile):
        write_atomic(path, "ours", edited_from=EditedFrom(edited_from))
    assert (path.read_text() if path.exists() else None) == before
    assert leftovers(tmp_path) == []


@linux_only
@pytest.mark.parametrize("edited_from", ["old", None], ids=["rewritten", "created"])
def test_a_write_landing_in_the_last_moment_before_ours_is_kept(
    tmp_path: Path, edited_from: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the check-then-replace way leaves open: renameat2 closes it."""
    path = tmp_path / "config.json"
    if edited_from is not None:
        path.write_text(edited_from)
    real = fileio._renameat2
    calls: list[int] = []

    def other_program_first(source: str, target: str, flags: int) -> bool:
        if not calls:
            other = tmp_path / "other.json"
            other.write_text("theirs")
            os.replace(other, path)  # as the docker CLI writes config.json
        calls.append(flags)
        return real(source, target, flags)

    monkeypatch.setattr(fileio, "_renameat2", other_program_first)
    with pytest.raises(ChangedMeanwhile):
        write_atomic(path, "ours", edited_from=EditedFrom(edited_from))
    assert path.read_text() == "theirs"
    assert leftovers(tmp_path) == []
    # created: refused outright; rewritten: swapped in, found theirs, swapped back
    assert calls == (
        [fileio._RENAME_NOREPLACE] if edited_from is None else [fileio._RENAME_EXCHANGE] * 2
    )


@linux_only
def test_this_machine_can_swap_files_in_one_step(tmp_path: Path) -> None:
    """Else every test above ran the fallback only, and the reliability table would say so."""
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    assert fileio._renameat2(str(tmp_path / "a"), str(tmp_path / "b"), fileio._RENAME_EXCHANGE)
    assert ((tmp_path / "a").read_text(), (tmp_path / "b").read_text()) == ("b", "a")
