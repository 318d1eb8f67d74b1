"""The git pre-commit hook that stops a commit adding a Docker token.

The hook runs ``hubtokens scan --staged``. It carries a marker line, so a hook this app did not
write is never replaced (``force`` moves it aside to a backup first) and uninstalling removes
only this app's hook, putting back the one ``force`` moved aside. The hook's folder is the one
git runs hooks from (``core.hooksPath`` when set). The hook names the ``hubtokens`` program by
its absolute path, so it works when git runs it with a bare environment, and looks it up on
``PATH`` only if that program has gone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from hubtokens.core.errors import UsageError
from hubtokens.core.fileio import EditedFrom, write_atomic
from hubtokens.core.scan.git import git_output, repository_top

HOOK_NAME = "pre-commit"
MARKER = "# hubtokens-scan-hook: written by `hubtokens scan --install-hook`"
BACKUP_SUFFIX = ".hubtokens-backup"

_SCRIPT = """\
#!/bin/sh
{marker}
# Blocks a commit whose staged files hold a Docker access token.
# Remove it with: hubtokens scan --uninstall-hook
if [ -x {program} ]; then
    set -- {command}
elif command -v hubtokens >/dev/null 2>&1; then
    set -- hubtokens
else
    echo "hubtokens pre-commit hook: the hubtokens program is not installed; commit blocked." >&2
    echo "Install Hub Tokens, or remove this hook: hubtokens scan --uninstall-hook" >&2
    exit 1
fi
"$@" scan --staged
status=$?
if [ "$status" -eq 1 ]; then
    cat >&2 <<'EOF'

Commit blocked: the staged files above hold a Docker access token.
  1. Remove it from those files, then stage them again (git add). Let the keychain hold it:
     docker uses it through a credential helper (hubtokens docker configure).
  2. Count it as leaked: `hubtokens scan --staged --identify` says which token it is;
     `hubtokens scan --staged --deactivate` switches it off and says how to replace it.
  To commit anyway (not recommended): git commit --no-verify
EOF
elif [ "$status" -ne 0 ]; then
    echo "hubtokens pre-commit hook: the scan failed (exit $status), so nothing is known" >&2
    echo "about tokens in the staged files; the commit was not made." >&2
fi
exit "$status"
"""


@dataclass(frozen=True)
class HookChange:
    """What an install or uninstall did, for the command to report."""

    hook: Path
    action: str  # "installed", "updated", "removed", "absent"
    backup: Path | None = None  # the foreign hook moved aside (install) or put back (uninstall)


def install_hook(repo: Path, *, force: bool = False) -> HookChange:
    """Install the pre-commit hook in the repository holding ``repo``."""
    hook = hook_path(repo)
    current = _read(hook)
    command = hubtokens_command()
    script = _SCRIPT.format(
        marker=MARKER, program=shlex.quote(command[0]), command=shlex.join(command)
    )
    backup = None
    if current is not None and not _is_ours(current):
        if not force:
            raise UsageError(
                f"{hook} is a pre-commit hook that Hub Tokens did not write; it was left as is",
                hint="--force replaces it, keeping it as "
                f"{hook.name}{BACKUP_SUFFIX} (--uninstall-hook puts it back)",
            )
        backup = _free_backup(hook)
        os.rename(hook, backup)
        current = None
    write_atomic(hook, script, mode=0o755, edited_from=EditedFrom(current))
    return HookChange(hook, "installed" if current is None else "updated", backup)


def uninstall_hook(repo: Path) -> HookChange:
    """Remove this app's pre-commit hook, and put back the hook ``--force`` moved aside."""
    hook = hook_path(repo)
    current = _read(hook)
    if current is None:
        return HookChange(hook, "absent")
    if not _is_ours(current):
        raise UsageError(
            f"{hook} is a pre-commit hook that Hub Tokens did not write; it was left as is"
        )
    os.unlink(hook)
    backup = hook.with_name(hook.name + BACKUP_SUFFIX)
    if os.path.lexists(backup):
        os.rename(backup, hook)
        return HookChange(hook, "removed", backup)
    return HookChange(hook, "removed")


def hook_path(repo: Path) -> Path:
    """Where git looks for the pre-commit hook of the repository holding ``repo``."""
    top = repository_top(repo)
    if git_output(top, "rev-parse", "--is-bare-repository").strip() == b"true":
        raise UsageError(f"{repo} is a bare repository: no commits are made there")
    hooks = Path(os.fsdecode(git_output(top, "rev-parse", "--git-path", "hooks").rstrip(b"\n")))
    return (top / hooks).absolute() / HOOK_NAME


def hubtokens_command() -> list[str]:
    """How the hook starts this very program: its absolute path, else through this Python."""
    if getattr(sys, "frozen", False):  # a bundle: the executable is the program
        return [sys.executable]
    beside = Path(sys.executable).parent / "hubtokens"
    if os.access(beside, os.X_OK):
        return [str(beside)]
    on_path = shutil.which("hubtokens")
    if on_path:
        return [os.path.abspath(on_path)]
    return [sys.executable, "-m", "hubtokens"]


def _is_ours(text: str) -> bool:
    return MARKER in text.splitlines()


def _read(hook: Path) -> str | None:
    if not os.path.lexists(hook):
        return None
    try:
        return hook.read_bytes().decode("utf-8", "replace")
    except OSError as exc:  # a dangling link or an unreadable file: someone else's hook
        return f"unreadable: {exc.strerror}"


def _free_backup(hook: Path) -> Path:
    backup = hook.with_name(hook.name + BACKUP_SUFFIX)
    if os.path.lexists(backup):
        raise UsageError(
            f"{backup} already exists (a hook kept by an earlier --force); nothing was changed",
            hint="move it away, then run this again",
        )
    return backup
