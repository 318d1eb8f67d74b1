"""``hubtokens hub``: run a local hub, or add a user to one."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from hubtokens.localhub import totp
from hubtokens.localhub.config import HubConfig
from hubtokens.localhub.faults import KINDS, Fault
from hubtokens.localhub.hub import LocalHub
from hubtokens.localhub.signing import SigningError
from hubtokens.localhub.store import UserExistsError

PROG = "hubtokens hub"
_OTP_ISSUER = "localhub"


def default_data_dir() -> Path:
    """``$HUBTOKENS_HOME/localhub``, else the user's data folder (XDG on Linux)."""
    home = os.environ.get("HUBTOKENS_HOME")
    if home:
        return Path(home) / "localhub"
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(data_home) / "hubtokens" / "localhub"


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    return command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="A local Docker Hub–compatible service for demos and tests."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    serve.add_argument("--data", type=Path, help=f"data folder (default: {default_data_dir()})")
    serve.add_argument("--demo", action="store_true", help="add the demo account and tokens")
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (not advised)"
    )
    serve.add_argument("--session-lifetime", type=float, metavar="SECONDS", default=30 * 86400)
    serve.add_argument("--requests-per-minute", type=int, metavar="N", default=600)
    serve.add_argument("--creates-per-hour", type=int, metavar="N", default=30)
    serve.add_argument(
        "--registry-cert",
        type=Path,
        metavar="DIR",
        help="sign registry tokens with DIR/key.pem (made if missing) and write DIR/cert.pem "
        "and DIR/registry-auth.yml, the auth section for a docker-registry config "
        "(its realm is this hub's URL: give a fixed --port to keep it valid across restarts)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:key=value,...]",
        help=f"inject a fault; kinds: {', '.join(KINDS)}; keys: rate, count, path, method, value",
    )
    serve.set_defaults(command=_serve)

    add_user = commands.add_parser("add-user", help="add a user; the password is read from stdin")
    add_user.add_argument("name")
    add_user.add_argument("--data", type=Path, help=f"data folder (default: {default_data_dir()})")
    add_user.add_argument(
        "--otp-secret", action="store_true", help="turn on 2FA and print the TOTP secret"
    )
    add_user.set_defaults(command=_add_user)
    return parser


def _serve(args: argparse.Namespace) -> int:
    try:
        faults = [Fault.parse(spec) for spec in args.fault]
        config = HubConfig(
            data_dir=args.data or default_data_dir(),
            host=args.host,
            port=args.port,
            allow_remote=args.allow_remote,
            session_lifetime=timedelta(seconds=args.session_lifetime),
            requests_per_minute=args.requests_per_minute,
            creates_per_hour=args.creates_per_hour,
        )
    except ValueError as exc:
        return _fail(str(exc), 2)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    hub = LocalHub(config)
    try:
        hub.start()
    except OSError as exc:
        hub.stop()
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror}", 1)
    try:
        hub.set_faults(*faults)
        demo = hub.seed_demo() if args.demo else None
        auth = None
        if args.registry_cert is not None:
            try:
                auth = hub.write_registry_auth(args.registry_cert)
            except (OSError, SigningError) as exc:
                return _fail(f"cannot set up registry tokens in {args.registry_cert}: {exc}", 1)
        print(hub.url, flush=True)
        if demo is not None:
            print(
                f"Demo account {demo.username!r}, password {demo.password!r}. Sign in with: "
                f"printf '%s' {demo.password} | hubtokens signin --hub {hub.url} "
                f"--username {demo.username} --password-stdin",
                flush=True,
            )
        if auth is not None:
            print(
                f"Registry token service: {auth.realm} (service {auth.service!r}); "
                f"docker-registry auth section: {auth.config_path}",
                flush=True,
            )
        print(
            f"Sign-in service (OAuth device authorization, as login.docker.com): {hub.url}; "
            f"devices are approved at {hub.url}/activate",
            flush=True,
        )
        stop.wait()
    finally:
        hub.stop()
    return 0


def _add_user(args: argparse.Namespace) -> int:
    password = _read_password()
    if not password:
        return _fail("no password given on stdin", 2)
    data_dir: Path = args.data or default_data_dir()
    otp_secret = totp.new_secret() if args.otp_secret else None
    hub = LocalHub(HubConfig(data_dir=data_dir))
    try:
        hub.add_user(args.name, password, otp_secret=otp_secret)
    except UserExistsError as exc:
        return _fail(str(exc), 1)
    except ValueError as exc:
        return _fail(str(exc), 2)
    finally:
        hub.stop()
    print(f"Added user {args.name!r} to {data_dir}")
    if otp_secret is not None:
        print(f"TOTP secret: {otp_secret}")
        print(f"TOTP URI: {totp.provisioning_uri(otp_secret, args.name, _OTP_ISSUER)}")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code
