"""``hubtokens scan``: find Docker tokens (and docker's plain-text passwords) where they leak.

The command is three steps, each open to more options:
- SOURCES say where findings come from (the paths, ``--home``; history and the index too);
- then what is known about each secret may grow (``--identify``), as ``extra`` by fingerprint;
- then the findings are printed: a table, ``--json`` or ``--sarif``.
Exit codes: 0 nothing found, 1 found, 2 bad input, 7 the scan failed; 1 means found and
nothing else, so a hook or CI can tell a leak from a failure.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hubtokens.cli import leak_git, leak_identify
from hubtokens.cli.context import Context
from hubtokens.cli.output import Output
from hubtokens.core.errors import ExitCode, HubTokensError, ScanFailed, UsageError
from hubtokens.core.scan import output as formats
from hubtokens.core.scan.files import ScanStats, scan_paths
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.home import scan_home

DESCRIPTION = """\
Finds Docker access tokens (dckr_pat_... and dckr_oat_...) in the files under the paths
(default: the current folder), and credentials that docker login kept in plain text in
docker's config.json (auths). It never prints a secret: a finding shows where, the kind, the
secret masked (a token's prefix and last 4 characters; nothing of a password or a registry's
identity token) and a fingerprint, the same for the same secret everywhere (12 hex digits: of
a token's SHA-256, of any other secret's scrypt, slow to guess back). Links are followed only inside the paths; .git
folders are skipped (--git reads the history).

exit codes: 0 nothing found, 1 found, 2 invalid input, 7 the scan failed (git failed, for
one: nothing is known about leaks); --identify and --deactivate can also end with 3 to 6, as
listed in hubtokens --help
"""


MAX_SKIPPED_SHOWN = 20


@dataclass(frozen=True)
class Source:
    """Where findings come from, when ``wanted`` by the arguments."""

    wanted: Callable[[argparse.Namespace], bool]
    findings: Callable[[argparse.Namespace, Context, ScanStats], Iterator[Finding]]


def _home_findings(args: argparse.Namespace, ctx: Context, stats: ScanStats) -> Iterator[Finding]:
    home = ctx.environ.get("HOME") or os.path.expanduser("~")
    return scan_home(Path(home), ctx.environ, stats=stats)


# The paths come last: they default to "." only when no other source was asked for.
SOURCES: list[Source] = [
    Source(lambda args: bool(args.home), _home_findings),
    Source(leak_git.wanted, leak_git.findings),
]


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "scan",
        parents=[common],
        help="find Docker tokens left in files (and where docker keeps them in plain text)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to scan (default: .)")
    p.add_argument(
        "--home",
        action="store_true",
        help="scan where tokens end up on this machine: docker's config.json (and Hub Tokens' "
        "backup of it), shell histories "
        "(bash, zsh, fish), .netrc, .npmrc, .git-credentials, containers' auth.json, .env, "
        "shell start-up files",
    )
    p.add_argument("--sarif", action="store_true", help="print SARIF 2.1.0 (for code scanning)")
    leak_git.add_arguments(p)
    leak_identify.add_arguments(p)
    p.set_defaults(run=scan)


def scan(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """The exit code: 1 only for "found"; whatever else would end with 1 ends with 7."""
    try:
        return _scan(args, ctx, out)
    except HubTokensError as exc:
        if exc.exit_code != ExitCode.ERROR:
            raise
        raise ScanFailed(exc.message, hint=exc.hint) from exc
    except Exception as exc:  # a bug: main would end with 1, which here means "found"
        raise ScanFailed(
            "the scan failed unexpectedly; run again with --debug for details"
        ) from exc


def _scan(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    if args.sarif and out.as_json:
        raise UsageError("choose one of --json and --sarif")
    hook_exit = leak_git.check_or_run_hook_option(args, out)
    if hook_exit is not None:
        return hook_exit
    roots = _roots(args)
    identifying = leak_identify.prepare(args, ctx)
    stats = ScanStats()
    findings: list[Finding] = []
    for source in SOURCES:
        if source.wanted(args):
            findings.extend(source.findings(args, ctx, stats))
    findings.extend(scan_paths(roots, stats=stats, parallel=True))
    extra = None if identifying is None else leak_identify.identify(identifying, findings, out)
    _print(findings, out, sarif=args.sarif, extra=extra)
    _summary(findings, stats, out)
    if identifying is not None and identifying.deactivate:
        leak_identify.deactivate(identifying, out)
    return ExitCode.ERROR if findings else ExitCode.OK


def _roots(args: argparse.Namespace) -> list[Path]:
    """The paths to scan, checked before anything is scanned."""
    other_sources = any(source.wanted(args) for source in SOURCES)
    given: list[str] = args.paths or ([] if other_sources else ["."])
    missing = [path for path in given if not os.path.lexists(path)]
    if missing:
        raise UsageError(f"no such file or folder: {formats.display_path(missing[0])}")
    return [Path(path) for path in given]


def _print(
    findings: list[Finding], out: Output, *, sarif: bool, extra: formats.Extra | None
) -> None:
    if sarif:
        out.json(formats.sarif_log(findings, extra))
    elif out.as_json:
        out.json(formats.json_records(findings, extra))
    elif findings and extra is not None:
        rows = [
            (*row, extra[f.fingerprint]["identity"])
            for row, f in zip(formats.table_rows(findings), findings, strict=True)
        ]
        out.table((*formats.TABLE_HEADERS, leak_identify.IDENTITY_HEADER), rows)
    elif findings:
        out.table(formats.TABLE_HEADERS, formats.table_rows(findings))


def _summary(findings: list[Finding], stats: ScanStats, out: Output) -> None:
    distinct = len({f.fingerprint for f in findings})
    files = "file" if stats.files == 1 else "files"
    scanned = f"scanned {stats.files} {files} ({stats.bytes / 1e6:.1f} MB)"
    if findings:
        out.note(f"found {len(findings)} secret(s), {distinct} distinct; {scanned}")
    else:
        out.note(f"no Docker tokens found; {scanned}")
    for path, reason in stats.skipped[:MAX_SKIPPED_SHOWN]:
        out.note(f"skipped {formats.display_path(path)}: {reason}")
    if len(stats.skipped) > MAX_SKIPPED_SHOWN:
        out.note(f"skipped {len(stats.skipped) - MAX_SKIPPED_SHOWN} more that could not be read")
