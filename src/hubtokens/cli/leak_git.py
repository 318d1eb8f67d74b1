"""``hubtokens scan``'s git options: ``--git``, ``--staged`` and the pre-commit hook."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

from hubtokens.cli.context import Context
from hubtokens.cli.output import Output
from hubtokens.core.errors import ExitCode, UsageError
from hubtokens.core.scan import hooks
from hubtokens.core.scan.files import ScanStats
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.git import repository_top, scan_git


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--git",
        action="store_true",
        help="scan the history of the git repository holding the current folder (or each "
        "PATH, whose files are then scanned too): every file version reachable from a branch, "
        "tag or other ref, each read once; a finding names the first commit that put the "
        "secret at its path",
    )
    p.add_argument(
        "--staged",
        action="store_true",
        help="scan what is staged for the next commit in that repository (the pre-commit "
        "hook's mode)",
    )
    p.add_argument(
        "--install-hook",
        nargs="?",
        const=".",
        metavar="REPO",
        help="install a git pre-commit hook that runs `hubtokens scan --staged` and blocks a "
        "commit adding a token (REPO default: the current folder); a hook Hub Tokens did not "
        "write is left as is",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --install-hook: replace another pre-commit hook, keeping it as "
        f"pre-commit{hooks.BACKUP_SUFFIX} (--uninstall-hook puts it back)",
    )
    p.add_argument(
        "--uninstall-hook",
        nargs="?",
        const=".",
        metavar="REPO",
        help="remove the pre-commit hook that --install-hook wrote, and only that one",
    )


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.git or args.staged)


def findings(args: argparse.Namespace, ctx: Context, stats: ScanStats) -> Iterator[Finding]:
    """The findings in the history (or the staged files) of each PATH's repository, once each."""
    tops: dict[Path, None] = {}
    for given in args.paths or ["."]:
        folder = given if os.path.isdir(given) else os.path.dirname(given) or "."
        tops.setdefault(repository_top(Path(folder)))
    for top in tops:
        yield from scan_git(top, staged=args.staged, stats=stats)


def check_or_run_hook_option(args: argparse.Namespace, out: Output) -> int | None:
    """Before any scan: reject what does not go together; install or uninstall the hook when
    asked (then the exit code), else None."""
    if args.git and args.staged:
        raise UsageError("choose one of --git (the history) and --staged (the next commit)")
    if args.install_hook is not None and args.uninstall_hook is not None:
        raise UsageError("choose one of --install-hook and --uninstall-hook")
    if args.force and args.install_hook is None:
        raise UsageError("--force goes with --install-hook")
    _check_hook_option_alone(args)
    if args.install_hook is not None:
        change = hooks.install_hook(Path(args.install_hook), force=args.force)
    elif args.uninstall_hook is not None:
        change = hooks.uninstall_hook(Path(args.uninstall_hook))
    else:
        return None
    _report(change, out)
    return ExitCode.OK


# What a scan takes and the hook options do not: given with one, it would be dropped unseen.
_SCAN_OPTIONS = {
    "paths": "PATH",
    "git": "--git",
    "staged": "--staged",
    "home": "--home",
    "sarif": "--sarif",
    "identify": "--identify",
    "deactivate": "--deactivate",
    "yes": "--yes",
}


def _check_hook_option_alone(args: argparse.Namespace) -> None:
    hook_option = (
        "--install-hook"
        if args.install_hook is not None
        else "--uninstall-hook"
        if args.uninstall_hook is not None
        else None
    )
    given = [name for dest, name in _SCAN_OPTIONS.items() if getattr(args, dest)]
    if hook_option is not None and given:
        raise UsageError(
            f"{hook_option} scans nothing: it does not go with {', '.join(given)}",
            hint=f"the repository goes right after it: {hook_option} REPO"
            if "PATH" in given
            else None,
        )


def _report(change: hooks.HookChange, out: Output) -> None:
    if out.as_json:
        backup = None if change.backup is None else str(change.backup)
        out.json({"hook": str(change.hook), "action": change.action, "backup": backup})
        return
    if change.action == "absent":
        out.data(f"no pre-commit hook at {change.hook}; nothing to remove")
        return
    out.data(f"{change.action} the pre-commit hook {change.hook}")
    if change.backup is not None and change.action == "removed":
        out.data(f"put back the hook it had replaced (from {change.backup.name})")
    elif change.backup is not None:
        out.data(f"the hook that was there is kept as {change.backup}")
    if change.action != "removed":
        out.data("each commit now runs: hubtokens scan --staged (blocked if a token is staged)")
