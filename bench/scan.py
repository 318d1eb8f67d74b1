"""How fast and how exact ``hubtokens scan`` is, against ripgrep on the same tree.

Builds a tree of about 1 GiB in about 50,000 files (text of every size, a few big files of
several chunks, some binary files) with about 100 tokens planted at the edges that matter
(start and end of a file, across a chunk boundary, between quotes, after ``=``) and look-alikes
that must not match (a tail too short or too long, a token character right before or after,
a wrong prefix). Then it times whole processes, interleaved: ``rg -c PATTERN TREE`` and
``hubtokens scan --json TREE``, and checks every ``hubtokens`` run: each planted token found
at its file and line, nothing else reported. Every token is made at run time.

    python bench/scan.py [--files 50000] [--mib 1024] [--runs 5] [--warmup 1] [--keep DIR]

Needs ripgrep (Debian package ripgrep). The goal (issue 12): the median of hubtokens at most
3x ripgrep's, with every planted token found and no look-alike reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUBTOKENS = Path(sys.executable).with_name("hubtokens")
RG_PATTERN = "dckr_(pat|oat)_[A-Za-z0-9_-]{27}"
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
CHUNK = 8 * 1024 * 1024  # files.CHUNK_SIZE: big files get tokens across this boundary
WORDS = [
    "the",
    "docker",
    "image",
    "build",
    "push",
    "pull",
    "registry",
    "layer",
    "cache",
    "token",
    "login",
    "config",
    "run",
    "env",
    "export",
    "user",
    "password",
    "secret",
    "volume",
    "network",
    "compose",
    "service",
    "deploy",
    "pat",
    "oat",
    "hub",
    "index",
    "io",
    "v1",
    "auth",
    "json",
    "yaml",
    "main",
    "return",
    "def",
    "class",
    "import",
    "from",
    "if",
    "else",
    "for",
    "while",
    "0",
    "1",
    "2",
    "42",
    "=",
    ":",
    ";",
    ",",
    ".",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    "/",
    "#",
    "--",
    "_",
]
# Starts of a token that go nowhere: now and then in a line.
NEAR_MISSES = ("dckr", "dckr_", "dckr_pa", "dckr-pat", "dckr_pat_", "dckr_oat_x")


def prefix(kind: str) -> str:
    return "dckr_" + kind + "_"


@dataclass
class Tree:
    root: Path
    planted: dict[str, set[tuple[str, int]]] = field(default_factory=dict)  # token -> places
    lookalikes: list[str] = field(default_factory=list)
    files: int = 0
    size: int = 0


def tail(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(TOKEN_CHARS) for _ in range(length))


def token(rng: random.Random) -> str:
    return prefix(rng.choice(("pat", "oat"))) + tail(rng, rng.randint(27, 32))


def lookalike(rng: random.Random) -> str:
    """Something close to a token that the bounded pattern must not match."""
    kind = rng.choice(("pat", "oat"))
    choice = rng.randrange(5)
    if choice == 0:  # too short
        return prefix(kind) + tail(rng, rng.randint(10, 26))
    if choice == 1:  # too long
        return prefix(kind) + tail(rng, rng.randint(33, 60))
    if choice == 2:  # a token character right before
        return rng.choice(TOKEN_CHARS) + token(rng)
    if choice == 3:  # a token character right after a 32-character tail
        return prefix(kind) + tail(rng, 32) + rng.choice(TOKEN_CHARS)
    wrong = rng.choice(("dckr_pet_", "dckr_pat", "dckr-pat_", "DCKR_PAT_", "dkr_pat_", "dckr_oaT_"))
    return wrong + rng.choice("abcXYZ789") + tail(rng, rng.randint(26, 31))


def text_pool(rng: random.Random, size: int) -> bytes:
    lines = []
    total = 0
    while total < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 16))]
        if rng.random() < 0.01:
            words.append(rng.choice(NEAR_MISSES))
        line = " ".join(words) + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def build(root: Path, *, files: int, total: int, seed: int = 12) -> Tree:
    """The tree: file sizes drawn so they add up to about ``total`` bytes."""
    rng = random.Random(seed)
    tree = Tree(root)
    pool = text_pool(rng, 16 * 1024 * 1024)
    binary = os.urandom(4 * 1024 * 1024).replace(b"dckr_", b"dckr~")
    big = [3 * CHUNK + rng.randrange(CHUNK) for _ in range(6)]
    mean_small = (total - sum(big)) // (files - len(big))
    small = [min(int(rng.expovariate(1 / mean_small)) + 1, len(pool) // 2) for _ in range(files)]
    sizes = big + small[len(big) :]
    # Tokens in every big file (across a chunk boundary) and in 94 others; look-alikes apart.
    chosen = rng.sample(range(len(big), len(sizes)), 294)
    plant_in = set(range(len(big))) | set(chosen[:94])
    lookalike_in = set(chosen[94:])
    long_pool = pool * (max(big) // len(pool) + 2)
    for index, size in enumerate(sizes):
        folder = root / f"d{index % 97:02d}" / f"e{index % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"f{index}.{'bin' if index % 50 == 7 else 'txt'}"
        source = binary if name.endswith(".bin") else long_pool if size > len(pool) // 2 else pool
        start = rng.randrange(len(source) - size)
        data = bytearray(source[start : start + size])
        inserts: list[tuple[int, str, bool]] = []
        if index in lookalike_in:
            inserts.append((rng.randrange(len(data) + 1), f" {lookalike(rng)} ", False))
        if index in plant_in:
            inserts.extend(_plants(rng, data, size >= 2 * CHUNK))
        # Insert from the end so earlier offsets stay valid.
        for at, text, _real in sorted(inserts, reverse=True):
            data[at:at] = text.encode()
        path = folder / name
        path.write_bytes(data)
        _record(tree, path, bytes(data), inserts)
    tree.files = len(sizes)
    return tree


def _plants(rng: random.Random, data: bytearray, big: bool) -> list[tuple[int, str, bool]]:
    """Where tokens go: with delimiters around them, at the start, the end, a chunk boundary."""
    places = [rng.choice((0, len(data), rng.randrange(len(data) + 1)))]
    if big:
        places.append(CHUNK - rng.randint(1, 45))  # the token crosses the first boundary
    plants = []
    for at in places:
        left, right = rng.choice(((" ", " "), ('"', '"'), (" =", "\n"), ("'", "'"), (":", "@ ")))
        # At the very start or end of the file the token stands there with nothing around it.
        plants.append(
            (at, ("" if at == 0 else left) + token(rng) + ("" if at == len(data) else right), True)
        )
    return plants


def _record(tree: Tree, path: Path, data: bytes, inserts: list[tuple[int, str, bool]]) -> None:
    relative = str(path.relative_to(tree.root.parent))
    tree.size += len(data)
    for _at, text, real in inserts:
        value = text.strip(" \"'=:@\n")
        if not real:
            tree.lookalikes.append(value)
            continue
        at = data.find(value.encode())
        line = data.count(b"\n", 0, at) + 1
        tree.planted.setdefault(value, set()).add((relative, line))


def check(tree: Tree, output: str) -> list[str]:
    """What is wrong with one run's JSON: planted tokens missed, anything else reported."""
    from hubtokens.core.scan.patterns import fingerprint

    reported = {(r["fingerprint"], r["path"], r["line"]) for r in json.loads(output)}
    expected = {
        (fingerprint(value), path, line)
        for value, places in tree.planted.items()
        for path, line in places
    }
    return differences(expected, reported, {fingerprint(value) for value in tree.lookalikes})


def differences(
    expected: set[tuple[object, ...]], reported: set[tuple[object, ...]], lookalikes: set[str]
) -> list[str]:
    """What went wrong, for places that start with the secret's fingerprint."""
    problems = [f"missed {e}" for e in sorted(expected - reported, key=str)]
    problems += [f"reported {r} that was not planted" for r in sorted(reported - expected, key=str)]
    problems += [
        f"look-alike reported {r}" for r in sorted(reported, key=str) if r[0] in lookalikes
    ]
    return problems


def timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, result


def interleaved(
    commands: dict[str, list[str]],
    cwd: Path,
    *,
    runs: int,
    warmup: int,
    checked: str,
    check: Callable[[subprocess.CompletedProcess[str]], list[str]],
) -> tuple[dict[str, list[float]], int]:
    """Each command in turn, round after round: the times of the rounds after ``warmup``, and
    how many runs of ``checked`` went wrong (not exit 1 "found", or ``check``'s problems)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    failures = 0
    for run in range(warmup + runs):
        for name, argv in commands.items():
            seconds, result = timed(argv, cwd)
            if name == checked:
                problems = check(result) if result.returncode == 1 else []
                if result.returncode != 1 or problems:
                    failures += 1
                    print(f"{name} run {run}: exit {result.returncode}", *problems[:10])
                    print(result.stderr[-2000:], file=sys.stderr)
            if run >= warmup:
                times[name].append(seconds)
    return times, failures


def add_run_arguments(parser: argparse.ArgumentParser, built: str) -> None:
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--keep", type=Path, help=f"build the {built} here and keep it")


def print_medians(times: dict[str, list[float]]) -> dict[str, float]:
    medians = {name: statistics.median(values) for name, values in times.items()}
    width = max(len(name) for name in times)
    for name, values in times.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:{width}}  median {medians[name]:.2f} s  (runs: {shown})")
    return medians


def compare(
    commands: dict[str, list[str]],
    cwd: Path,
    args: argparse.Namespace,
    *,
    baseline: str,
    check: Callable[[subprocess.CompletedProcess[str]], list[str]],
    goal: float | None = None,
) -> tuple[float, int]:
    """Times ``commands`` interleaved (each ``hubtokens`` run checked), prints the medians and
    hubtokens' ratio to ``baseline``; returns the ratio and how many runs went wrong."""
    times, failures = interleaved(
        commands, cwd, runs=args.runs, warmup=args.warmup, checked="hubtokens", check=check
    )
    medians = print_medians(times)
    ratio = medians["hubtokens"] / medians[baseline]
    verdict = "every planted token found, no look-alike" if not failures else f"{failures} bad runs"
    name = f"({baseline})" if " " in baseline else baseline
    wanted = "" if goal is None else f" (goal <= {goal:g}x)"
    print(f"hubtokens / {name} = {ratio:.2f}x{wanted}; {verdict}")
    return ratio, failures


def ripgrep() -> str | None:
    """The rg program, or None (said on stderr) when it is missing."""
    rg = shutil.which("rg")
    if rg is None:
        print("ripgrep is missing: apt-get install ripgrep", file=sys.stderr)
    return rg


@contextmanager
def workspace(keep: Path | None, prefix: str, name: str) -> Iterator[tuple[Path, Path]]:
    """A folder (``keep``, left afterwards, or a temporary one, removed afterwards) and, in it,
    ``name`` removed for a fresh build."""
    base = keep or Path(tempfile.mkdtemp(prefix=prefix))
    try:
        shutil.rmtree(base / name, ignore_errors=True)
        yield base, base / name
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--mib", type=int, default=1024)
    add_run_arguments(parser, "tree")
    args = parser.parse_args()
    rg = ripgrep()
    if rg is None:
        return 2
    with workspace(args.keep, "hubtokens-scan-bench-", "tree") as (base, root):
        started = time.perf_counter()
        tree = build(root, files=args.files, total=args.mib * 1024 * 1024)
        planted = sum(len(p) for p in tree.planted.values())
        print(
            f"tree: {tree.files} files, {tree.size / 2**20:.0f} MiB, {planted} tokens planted, "
            f"{len(tree.lookalikes)} look-alikes (built in {time.perf_counter() - started:.0f} s)"
        )
        commands = {
            "rg": [rg, "-c", RG_PATTERN, "tree"],
            "hubtokens": [str(HUBTOKENS), "scan", "--json", "tree"],
        }
        ratio, failures = compare(
            commands, base, args, baseline="rg", goal=3, check=lambda r: check(tree, r.stdout)
        )
    return 0 if not failures and ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
