"""``hubtokens``: the command line. ``main()`` maps every error to a message and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from hubtokens import __version__
from hubtokens.cli.context import Context
from hubtokens.cli.output import Output
from hubtokens.core.errors import ExitCode, HubTokensError
from hubtokens.core.logs import configure_logging

logger = logging.getLogger(__name__)

EPILOG = """\
environment:
  HUBTOKENS_HUB_URL  hub to use when --hub is not given
  HUBTOKENS_HOME     keep settings, state and logs in this one folder

exit codes:
  0  success
  1  error
  2  invalid input (nothing was changed)
  3  sign-in needed: not signed in, session expired, wrong credentials or code
  4  the hub cannot be reached or had a server error
  5  the keychain is unavailable (missing, locked or not answering)
  6  rate limited by the hub, or waiting for the token-creation budget
  7  scan only: the scan failed (1 there means a token was found)
"""


# The modules in hubtokens.cli.commands, in the order --help lists them.
COMMAND_MODULES = ("account", "tokens", "docker", "scan")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI, or (``only``) one command module's part, to import just that one."""
    parser = argparse.ArgumentParser(
        prog="hubtokens",
        description="Docker Hub access tokens: device sign-in, keychain storage, token management.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hubtokens {__version__}")
    _add_global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # The global options are also accepted after the subcommand (`hubtokens status --json`).
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, defaults=False)
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(f"hubtokens.cli.commands.{name}").add_parsers(sub, common)
    if only is not None:
        return parser
    sub.add_parser("gui", help="start the desktop app (see: hubtokens gui --help)")
    sub.add_parser(
        "hub", help="run the local Docker Hub-compatible service (see: hubtokens hub --help)"
    )
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--hub",
        metavar="URL",
        default=default(None),
        help="hub base URL (default: https://hub.docker.com)",
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print data as JSON"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show debug logs and tracebacks",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    hub_at = _subcommand_index(args_list, "hub")
    if hub_at is not None:
        # The local hub is a separate program with its own options.
        from hubtokens.localhub.program import main as hub_main

        return hub_main(args_list[hub_at + 1 :])
    gui_at = _subcommand_index(args_list, "gui")
    if gui_at is not None:
        from hubtokens.gui.app import main as gui_main  # Qt is imported only for this subcommand

        return gui_main(args_list[gui_at + 1 :])
    # A scan (the pre-commit hook runs one per commit) needs none of the other commands' imports.
    scanning = _subcommand_index(args_list, "scan") is not None
    parser = build_parser("scan" if scanning else None)
    args = parser.parse_args(args_list)
    configure_logging(
        level=logging.DEBUG if args.debug else logging.WARNING, log_file=None, stderr=True
    )
    out = Output(as_json=args.json)
    try:
        return int(args.run(args, Context(hub_option=args.hub), out))
    except HubTokensError as exc:
        if args.debug:
            logger.exception("failed")
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        # A bug: say so plainly, and keep the traceback for --debug.
        if args.debug:
            raise
        print(
            "error: an unexpected error occurred; run again with --debug for details",
            file=sys.stderr,
        )
        return ExitCode.ERROR


def _subcommand_index(argv: list[str], name: str) -> int | None:
    """Where ``name`` stands as the subcommand, skipping the global options before it."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--hub":
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return i if arg == name else None
    return None
