"""``hubtokens scan --identify`` and ``--deactivate``: which token each secret is, switch it off.

Everything that can be refused is refused before the scan, so bad input changes nothing and
sends nothing: a hub URL that is not TLS or loopback, no sign-in, ``--deactivate`` without a
terminal to confirm on and without ``--yes``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from typing import Any

from hubtokens.cli.context import Context
from hubtokens.cli.output import Output, ask_line
from hubtokens.core.errors import NotSignedIn, UsageError
from hubtokens.core.hub.models import AccessToken
from hubtokens.core.hub.urls import host_of
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.identify import Identification, Identifier, Identity

IDENTITY_HEADER = "WHICH TOKEN"
USE_NOTE = (
    "identifying signs in with each token found, which counts as a use of it on the hub: its "
    "'last used' becomes now"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--identify",
        action="store_true",
        help="ask the hub you are signed in to (and no other, over TLS or loopback only) "
        "which token each distinct secret is: yours (its description, access, status and "
        "last use), another account's, or not valid. Passwords and registry identity tokens are not sent. Note: "
        + USE_NOTE,
    )
    parser.add_argument(
        "--deactivate",
        action="store_true",
        help="with --identify implied: deactivate the live tokens of your account that were "
        "found, after a confirmation, and say how to replace each",
    )
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="deactivate without asking (for scripts; without a terminal it is required)",
    )


@dataclass
class Identifying:
    """What --identify/--deactivate need, checked before the scan."""

    identifier: Identifier
    hub_url: str
    account: str
    device_token: str | None
    deactivate: bool
    yes: bool
    result: Identification | None = None


def prepare(args: argparse.Namespace, ctx: Context) -> Identifying | None:
    """None without --identify/--deactivate; refuses bad input before anything is scanned."""
    if args.yes and not args.deactivate:
        raise UsageError("--yes only confirms --deactivate")
    if not (args.identify or args.deactivate):
        return None
    if args.deactivate and not args.yes and not sys.stdin.isatty():
        raise UsageError(
            "--deactivate asks for confirmation on a terminal, and there is none",
            hint="pass --yes to deactivate without asking",
        )
    hub_url = ctx.hub_url  # refuses plain http to anything but loopback
    record = ctx.keeper.account(hub_url)
    if record is None:
        raise NotSignedIn(
            f"--identify asks the hub you are signed in to: not signed in to {hub_url}",
            hint="run: hubtokens signin",
        )
    device_token = None if record.auto_token is None else record.auto_token.uuid
    identifier = Identifier(
        ctx.client(hub_url),
        hub_url=hub_url,
        account=record.account,
        management_session=lambda: ctx.keeper.management_session(hub_url),
        clock=ctx.clock,
        device_token=device_token,
    )
    return Identifying(identifier, hub_url, record.account, device_token, args.deactivate, args.yes)


def identify(identifying: Identifying, findings: list[Finding], out: Output) -> dict[str, Any]:
    """Extra JSON fields by fingerprint (``live``, ``uuid``, ``description``, ...)."""
    result = identifying.identifier.identify(findings)
    identifying.result = result
    if result.sent:  # a password, or a check that stopped first, sends nothing
        out.note(f"Note: {USE_NOTE}.")
    if result.stopped:
        out.note(f"identification stopped: {result.stopped}; the rest were not checked")
    return {fp: _json(identity) for fp, identity in result.identities.items()}


def deactivate(identifying: Identifying, out: Output) -> None:
    """Deactivate the account's live tokens found, once confirmed, and say how to replace each."""
    assert identifying.result is not None
    targets = [i for i in identifying.result.identities.values() if i.yours]
    if not targets:
        among = "" if identifying.result.stopped is None else " among the secrets checked"
        out.note(f"Nothing to deactivate: no live token of your account was found{among}.")
        return
    auto = next((t for t in targets if _is_device_token(identifying, t)), None)
    if auto is not None:
        out.note(_auto_warning(identifying, auto))
    if not identifying.yes and not _confirmed(identifying, targets, auto, out):
        out.note("Nothing deactivated.")
        return
    for token in identifying.identifier.deactivate(targets):
        out.note(_done(identifying, token))


def _confirmed(
    identifying: Identifying, targets: list[Identity], auto: Identity | None, out: Output
) -> bool:
    names = ", ".join(f"'{t.description}'" for t in targets)
    count = f"{len(targets)} token{'s' if len(targets) != 1 else ''}"
    also = "" if auto is None else f", including this device's auto token '{auto.description}'"
    host = host_of(identifying.hub_url)
    answer = ask_line(
        f"Deactivate {count} of {identifying.account} on {host} ({names}){also}? [y/N] "
    )
    if answer is None:  # the terminal went away between the check and now
        raise UsageError("no terminal to confirm on", hint="pass --yes")
    return answer.lower() in ("y", "yes")


def _auto_warning(identifying: Identifying, auto: Identity) -> str:
    # Here, not at the top: recreation imports the keeper (and requests), which a scan without
    # --identify (the pre-commit hook's) does not need.
    from hubtokens.cli.recreation import NOW_COMMAND

    return (
        f"'{auto.description}' is this device's auto token: once deactivated, docker on this "
        f"device has no working credential for {host_of(identifying.hub_url)}. Hub Tokens "
        "reports a deactivated auto token and does not replace it; for a new one, delete it "
        f"(hubtokens token rm {auto.uuid}): Hub Tokens then creates another (at once: "
        f"{NOW_COMMAND})."
    )


def _done(identifying: Identifying, token: AccessToken) -> str:
    from hubtokens.cli.recreation import NOW_COMMAND  # see _auto_warning

    if identifying.device_token is not None and token.uuid == identifying.device_token:
        return (
            f"Deactivated this device's auto token '{token.label}' ({token.uuid}). For a new "
            f"one: hubtokens token rm {token.uuid}, then {NOW_COMMAND}."
        )
    create = ["hubtokens", "token", "create", "--description", token.label]
    if token.scope is not None:
        create += ["--access", token.scope.access]
    return (
        f"Deactivated '{token.label}' ({token.uuid}). Replace it: Replace… in the "
        f"Access tokens window (hubtokens gui), or {shlex.join(create)}; put the new token where the old "
        f"one was used, then delete the old one: hubtokens token rm {token.uuid}"
    )


def _is_device_token(identifying: Identifying, identity: Identity) -> bool:
    return identity.uuid is not None and identity.uuid == identifying.device_token


def _json(identity: Identity) -> dict[str, Any]:
    return {
        "live": identity.live,
        "uuid": identity.uuid,
        "description": identity.description,
        "account": identity.account,
        "identity": identity.words,
    }
