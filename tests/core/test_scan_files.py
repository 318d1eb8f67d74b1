"""Scanning files and folders: real files on disk, every robustness case of issue 12."""

from __future__ import annotations

import base64
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from hubtokens.core.scan import files, parallel, reading
from hubtokens.core.scan.files import ScanStats, scan_paths, scan_stream
from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    KIND_PAT,
    Finding,
)
from hubtokens.core.scan.reading import OVERLAP
from tests.support.git_repo import make_token


def scan(*roots: Path, stats: ScanStats | None = None) -> list[Finding]:
    return list(scan_paths(list(roots), stats=stats))


def places(findings: list[Finding]) -> list[tuple[str, int | None, str]]:
    return [(f.path, f.line, f.secret.reveal()) for f in findings]


def test_finds_tokens_in_nested_files_with_their_path_and_line(tmp_path: Path) -> None:
    pat, oat = make_token(), make_token("oat", 32)
    (tmp_path / "ci" / "deep").mkdir(parents=True)
    (tmp_path / "ci" / "deep" / "job.yml").write_text(f"env:\n  TOKEN: '{pat}'\n")
    (tmp_path / "notes.txt").write_text(f"{oat}\n")
    (tmp_path / "clean.txt").write_text("nothing here\n")
    stats = ScanStats()
    findings = scan(tmp_path, stats=stats)
    root = str(tmp_path)
    assert places(findings) == [
        (f"{root}/ci/deep/job.yml", 2, pat),
        (f"{root}/notes.txt", 1, oat),
    ]
    assert [f.kind for f in findings] == ["pat", "oat"]
    assert (stats.files, stats.skipped) == (3, [])


def test_a_file_given_as_root_is_scanned_and_named_as_given(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / "a.env").write_text(f"X={token}")
    os.chdir(tmp_path)
    assert places(scan(Path("a.env"))) == [("a.env", 1, token)]
    assert places(scan(Path("."))) == [("a.env", 1, token)]


def test_binary_files_are_scanned_without_trouble(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / "blob.bin").write_bytes(os.urandom(5000) + b"\0" + token.encode() + b"\xff\0")
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)) * 1000)
    assert [f.secret.reveal() for f in scan(tmp_path)] == [token]


@pytest.mark.parametrize("shift", range(OVERLAP + 3))
def test_a_token_across_a_chunk_boundary_is_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shift: int
) -> None:
    monkeypatch.setattr(reading, "CHUNK_SIZE", 64)
    token = make_token(length=32)
    data = b"x\n" * 32 + b" " * (64 - shift) + token.encode() + b" \n" + b"y" * 200
    (tmp_path / "f").write_bytes(data)
    (finding,) = scan(tmp_path)
    assert (finding.secret.reveal(), finding.line) == (token, 33)
    assert finding.offset == data.index(token.encode())


@pytest.mark.parametrize("shift", range(OVERLAP + 3))
def test_a_look_alike_across_a_chunk_boundary_stays_a_look_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shift: int
) -> None:
    monkeypatch.setattr(reading, "CHUNK_SIZE", 64)
    before = "x" + make_token()  # a token character right before
    after = make_token(length=32) + "-"  # one character too many
    for name, text in (("before", before), ("after", after)):
        (tmp_path / name).write_bytes(b" " * (128 - shift) + text.encode() + b" " * 100)
    assert scan(tmp_path) == []


def test_a_huge_file_is_streamed_never_loaded_whole(tmp_path: Path) -> None:
    size = 16 * reading.CHUNK_SIZE  # sparse: 128 MiB to read, hardly any on disk
    tokens = [make_token() for _ in range(3)]
    huge = tmp_path / "huge.log"
    with huge.open("wb") as stream:
        stream.write(b"line\n" * (reading.CHUNK_SIZE // 5 - 2) + b" " + tokens[0].encode() + b"\n")
        stream.seek(size // 2)
        stream.write(tokens[1].encode() + b"\n")
        stream.seek(size - 100)
        stream.write(b"\n" + tokens[2].encode())
    tracemalloc.start()
    try:
        findings = scan(tmp_path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.secret.reveal() for f in findings] == tokens
    assert findings[0].line == reading.CHUNK_SIZE // 5 - 1
    assert peak < 5 * reading.CHUNK_SIZE < size  # a few chunks at a time, not the file


def test_scan_stream_reads_at_most_one_chunk_at_a_time() -> None:
    token = make_token()
    data = (b"a" * (reading.CHUNK_SIZE - 10)) + b" " + token.encode() + b" " + b"b" * 1000
    asked: list[int] = []

    def read(size: int) -> bytes:
        asked.append(size)
        nonlocal data
        piece, data = data[:size], data[size:]
        return piece

    size, findings = scan_stream(read, "stream")
    assert [f.secret.reveal() for f in findings] == [token]
    assert size == reading.CHUNK_SIZE - 10 + len(token) + 2 + 1000
    assert asked[0] == reading.CHUNK_SIZE and max(asked) <= reading.CHUNK_SIZE


def test_a_file_that_cannot_be_read_is_skipped_and_reported() -> None:
    # /proc/self/mem refuses reading at offset 0 (EIO), even for root.
    stats = ScanStats()
    assert scan(Path("/proc/self/mem"), stats=stats) == []
    assert stats.skipped == [("/proc/self/mem", "Input/output error")]


def test_a_folder_that_cannot_be_listed_is_skipped_and_the_rest_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token()
    (tmp_path / "locked").mkdir()
    (tmp_path / "open.txt").write_text(token)
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # root reads any folder, so refuse this one here
        if path.endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    stats = ScanStats()
    assert [f.secret.reveal() for f in scan(tmp_path, stats=stats)] == [token]
    assert stats.skipped == [(f"{tmp_path}/locked", "Permission denied")]


def test_symlink_loops_end_and_each_file_is_scanned_once(tmp_path: Path) -> None:
    token = make_token()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "t.txt").write_text(token)
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a")  # a loop
    (tmp_path / "a" / "self").symlink_to(".")
    (tmp_path / "a" / "same.txt").symlink_to(tmp_path / "a" / "b" / "t.txt")
    os.link(tmp_path / "a" / "b" / "t.txt", tmp_path / "hard.txt")
    stats = ScanStats()
    assert len(scan(tmp_path, stats=stats)) == 1
    assert stats.files == 1


def test_links_out_of_the_roots_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(make_token())
    root = tmp_path / "root"
    root.mkdir()
    (root / "dir-link").symlink_to(outside)
    (root / "file-link").symlink_to(outside / "secret.txt")
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    assert scan(root) == []
    # Inside the roots a link is followed: with both folders given, the file is found once.
    assert len(scan(root, outside)) == 1


def test_a_root_given_as_a_link_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "t").write_text(make_token())
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert [f.path for f in scan(tmp_path / "alias")] == [f"{tmp_path}/alias/t"]


def test_names_that_are_not_utf8_are_scanned(tmp_path: Path) -> None:
    token = make_token()
    name = os.fsdecode(b"caf\xe9-\xff.txt")
    (tmp_path / os.fsdecode(b"d\xe9j\xe0")).mkdir()
    (tmp_path / os.fsdecode(b"d\xe9j\xe0") / name).write_text(token)
    (finding,) = scan(tmp_path)
    assert os.fsencode(finding.path).endswith(b"/d\xe9j\xe0/caf\xe9-\xff.txt")


def test_git_folders_are_left_to_the_history_scan(tmp_path: Path) -> None:
    for folder in (tmp_path / ".git", tmp_path / "sub" / ".git" / "objects"):
        folder.mkdir(parents=True)
        (folder / "config").write_text(make_token())
    (tmp_path / ".gitignore").write_text(make_token())  # not inside .git: scanned
    assert [Path(f.path).name for f in scan(tmp_path)] == [".gitignore"]


def test_fifos_and_other_special_files_are_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # opening it would wait for a writer forever
    (tmp_path / "t").write_text(make_token())
    stats = ScanStats()
    assert len(scan(tmp_path, stats=stats)) == 1
    assert stats.skipped == []  # in a folder: passed over quietly
    assert scan(tmp_path / "pipe", Path("/dev/null"), stats=stats) == []
    assert stats.skipped == [
        (f"{tmp_path}/pipe", "not a file or folder"),
        ("/dev/null", "not a file or folder"),
    ]


def docker_config(entries: dict[str, str]) -> str:
    auths = {
        server: {"auth": base64.b64encode(cred.encode()).decode()}
        for server, cred in entries.items()
    }
    return json.dumps({"auths": auths, "credsStore": "desktop"}, indent=2)


@pytest.mark.parametrize("name", ["config.json", "auth.json"])
def test_docker_auths_are_decoded_a_token_or_a_password(tmp_path: Path, name: str) -> None:
    token = make_token()
    (tmp_path / name).write_text(
        docker_config(
            {"https://index.docker.io/v1/": f"alice:{token}", "ghcr.io": "bob:a-long-password"}
        )
    )
    findings = scan(tmp_path)
    assert [(f.kind, f.account, f.secret.reveal(), f.line) for f in findings] == [
        (KIND_DOCKER_CONFIG_PAT, "alice", token, 4),
        (KIND_DOCKER_CONFIG_PASSWORD, "bob", "a-long-password", 7),
    ]
    assert token not in (tmp_path / name).read_text()  # it was found only by decoding


def test_auths_that_are_not_credentials_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps(
            {"auths": {"a": {"auth": "%%%not base64"}, "b": {}, "c": "x", "d": {"auth": ""}}}
        )
    )
    (tmp_path / "other.json").write_text(docker_config({"x": "alice:pw-in-a-file-of-another-name"}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "config.json").write_text("{not json")
    assert scan(tmp_path) == []


def test_cancelling_stops_the_scan_and_progress_follows_each_file(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"f{i:02d}").write_text(make_token())
    cancelled = threading.Event()
    progress: list[tuple[int, int]] = []

    def on_progress(scanned: int, size: int) -> None:
        progress.append((scanned, size))
        if scanned == 5:
            cancelled.set()

    found = list(scan_paths([tmp_path], cancelled=cancelled, on_progress=on_progress))
    assert [Path(f.path).name for f in found] == [f"f{i:02d}" for i in range(5)]
    assert [scanned for scanned, _size in progress] == [1, 2, 3, 4, 5]
    assert progress[-1][1] == 5 * len(found[0].secret)
    assert list(scan_paths([tmp_path], cancelled=cancelled)) == []


def test_a_huge_file_stops_between_chunks_when_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CHUNK_SIZE", 64)
    tokens = [make_token() for _ in range(50)]
    (tmp_path / "big").write_text("\n".join(tokens))
    cancelled = threading.Event()
    asked: list[int] = []
    stream = (tmp_path / "big").open("rb")

    def read(size: int) -> bytes:
        asked.append(size)
        if len(asked) == 3:
            cancelled.set()
        return stream.read(size)

    with stream:
        _size, found = scan_stream(read, "big", cancelled=cancelled)
    assert len(asked) == 3  # no chunk read once cancelled
    assert [f.secret.reveal() for f in found] == tokens[: len(found)]
    assert len(found) > 0 and all(f.offset is not None and f.offset < 3 * 64 for f in found)


def test_without_parallel_a_big_scan_never_forks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork(*args: object) -> None:
        raise AssertionError("forked")

    monkeypatch.setattr(parallel.multiprocessing, "get_context", no_fork)
    for i in range(2 * parallel.BATCH_FILES):
        (tmp_path / f"f{i}").write_text(make_token() if i == 300 else "x")
    assert [Path(f.path).name for f in scan_paths([tmp_path])] == ["f300"]


def test_a_file_swapped_for_a_fifo_after_the_worker_read_it_does_not_block_the_parent(
    tmp_path: Path,
) -> None:
    """The parent reads the secrets back at the places a worker found them: a file replaced by
    a FIFO in between (nobody writing to it) must be passed over, not waited on forever."""
    fifo = tmp_path / "swapped"
    os.mkfifo(fifo)
    located = parallel.BatchResult(ScanStats())
    located.places.append((str(fifo), [parallel.Place(1, KIND_PAT, 0, len(make_token()))]))
    read_back: list[parallel.BatchResult] = []
    reader = threading.Thread(
        target=lambda: read_back.append(parallel._read_back(located)), daemon=True
    )
    reader.start()
    reader.join(timeout=10)
    assert read_back, "reading the places back blocked on the FIFO"
    assert read_back[0].findings == []
