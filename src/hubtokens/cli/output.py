"""How the CLI talks: data on stdout (text or --json), everything else on stderr, and secrets
read from a pipe or a hidden prompt (never from argv)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from hubtokens.core.errors import UsageError
from hubtokens.core.secret import Secret


class Output:
    def __init__(
        self, *, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def data(self, text: str) -> None:
        print(text, file=self.stdout)

    def json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, sort_keys=False), file=self.stdout)

    def note(self, text: str) -> None:
        print(text, file=self.stderr)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        widths = [len(h) for h in headers]
        for row in rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
        for row in (headers, *rows):
            line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            print(line.rstrip(), file=self.stdout)


def read_secret(*, from_stdin: bool, prompt: str, stdin: TextIO | None = None) -> Secret:
    """The password or token: from stdin when asked, else a hidden prompt on a terminal."""
    stream = stdin or sys.stdin
    if from_stdin:
        value = stream.read(64 * 1024).rstrip("\r\n")
    elif stream.isatty():
        value = getpass.getpass(prompt)
    else:
        raise UsageError(
            "no terminal to ask for the password",
            hint="pipe it in and pass --password-stdin",
        )
    if not value:
        raise UsageError("the password is empty")
    return Secret(value)


def ask_line(
    prompt: str, *, stdin: TextIO | None = None, stderr: TextIO | None = None
) -> str | None:
    """A visible answer from a terminal, or None when there is no terminal to ask."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        return None
    print(prompt, end="", file=stderr or sys.stderr, flush=True)
    return stream.readline().strip()
