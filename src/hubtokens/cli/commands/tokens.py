"""``hubtokens token ...``: list, create, inspect, rename, activate, deactivate, remove, print."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from hubtokens.cli.context import Context
from hubtokens.cli.output import Output, ask_line
from hubtokens.cli.recreation import after_deletion
from hubtokens.core.errors import ExitCode, UsageError
from hubtokens.core.hub.models import AccessToken, Scope, TokenSource, format_time
from hubtokens.core.timefmt import exact, relative, relative_or_never
from hubtokens.core.validation import parse_expiry, validate_description, validate_uuid

ACCESS_CHOICES = [s.access for s in Scope]


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    token = sub.add_parser(
        "token", parents=[common], help="manage the account's personal access tokens"
    )
    tsub = token.add_subparsers(dest="token_command", metavar="COMMAND", required=True)

    p = tsub.add_parser(
        "ls", parents=[common], aliases=["list"], help="list every token (all pages)"
    )
    p.add_argument("--source", choices=["manual", "auto", "all"], default="all")
    p.set_defaults(run=list_tokens)

    p = tsub.add_parser("create", parents=[common], help="create a token; its secret is shown once")
    p.add_argument("--description", required=True, help="1-100 characters")
    p.add_argument(
        "--access",
        choices=ACCESS_CHOICES,
        default=Scope.PUBLIC_READ.access,
        help="permission level (default: public-read, as on the hub)",
    )
    p.add_argument(
        "--expires",
        default="never",
        metavar="never|30d|90d|YYYY-MM-DD",
        help="expiry; cannot be changed later (default: never)",
    )
    p.set_defaults(run=create)

    p = tsub.add_parser("inspect", parents=[common], help="show one token")
    p.add_argument("uuid")
    p.set_defaults(run=inspect)

    p = tsub.add_parser("rename", parents=[common], help="change a token's description")
    p.add_argument("uuid")
    p.add_argument("description")
    p.set_defaults(run=rename)

    for name, active in (("activate", True), ("deactivate", False)):
        p = tsub.add_parser(name, parents=[common], help=f"{name} a token")
        p.add_argument("uuid")
        p.set_defaults(run=set_active, active=active)

    p = tsub.add_parser("rm", parents=[common], aliases=["delete"], help="delete a token for good")
    p.add_argument("uuid")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(run=remove)

    p = tsub.add_parser(
        "print", parents=[common], help="print this device's auto token (for scripts)"
    )
    p.set_defaults(run=print_auto_token)


def list_tokens(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    session = ctx.keeper.management_session(ctx.hub_url)
    tokens = ctx.client().list_tokens(session)
    ours = _our_uuid(ctx)
    if args.source != "all":
        wanted = TokenSource.AUTO if args.source == "auto" else TokenSource.MANUAL
        tokens = [t for t in tokens if t.source is wanted]
    now = ctx.clock()
    if out.as_json:
        out.json([_token_json(t, now, ours) for t in tokens])
        return ExitCode.OK
    rows = [
        [
            t.label,
            t.uuid,
            _scope_text(t),
            t.status(now).value,
            _source_text(t, ours),
            relative(t.created_at, now),
            relative_or_never(t.last_used, now),
            "Never" if t.expires_at is None else exact(t.expires_at),
        ]
        for t in tokens
    ]
    headers = [
        "DESCRIPTION",
        "UUID",
        "SCOPE",
        "STATUS",
        "SOURCE",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ]
    out.table(headers, rows)
    out.note(f"{len(tokens)} token{'s' if len(tokens) != 1 else ''}")
    return ExitCode.OK


def create(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    label = validate_description(args.description)
    scope = Scope.from_access(args.access)
    expires_at = parse_expiry(args.expires, ctx.clock())
    session = ctx.keeper.management_session(ctx.hub_url)
    created = ctx.client().create_token(session, label, [scope], expires_at)
    token = created.token
    record = ctx.keeper.account(ctx.hub_url)
    account = session.username or (record.account if record is not None else "<username>")
    if out.as_json:
        out.json({**_token_json(token, ctx.clock(), None), "token": created.secret.reveal()})
    else:
        expiry = (
            "never expires" if token.expires_at is None else f"expires {exact(token.expires_at)}"
        )
        out.note(f'Created access token "{token.label}" ({scope.label}, {expiry}).')
        out.data(created.secret.reveal())
        out.note("This token is shown once and cannot be shown again: store it now.")
        out.note(f"To use it: docker login -u {account} --password-stdin")
    return ExitCode.OK


def inspect(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    uuid = validate_uuid(args.uuid)
    session = ctx.keeper.management_session(ctx.hub_url)
    token = ctx.client().get_token(session, uuid)
    now = ctx.clock()
    ours = _our_uuid(ctx)
    if out.as_json:
        out.json(_token_json(token, now, ours))
        return ExitCode.OK
    rows = [
        ("UUID", token.uuid),
        ("Description", token.label),
        ("Scope", _scope_text(token)),
        ("Status", token.status(now).value),
        ("Source", _source_text(token, ours)),
        ("Created", f"{exact(token.created_at)} ({relative(token.created_at, now)})"),
        (
            "Last used",
            "Never"
            if token.last_used is None
            else f"{exact(token.last_used)} ({relative(token.last_used, now)})",
        ),
        ("Expires", "Never" if token.expires_at is None else exact(token.expires_at)),
        ("Creator", " ".join(filter(None, [token.creator_ua, token.creator_ip])) or "unknown"),
    ]
    for key, value in rows:
        out.data(f"{(key + ':').ljust(12)} {value}")
    out.note("Expiry cannot be changed on the hub: create a new token with the expiry you need.")
    return ExitCode.OK


def rename(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    uuid = validate_uuid(args.uuid)
    label = validate_description(args.description)
    session = ctx.keeper.management_session(ctx.hub_url)
    token = ctx.client().update_token(session, uuid, label=label)
    out.data(f'{token.uuid} is now "{token.label}"')
    return ExitCode.OK


def set_active(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    uuid = validate_uuid(args.uuid)
    session = ctx.keeper.management_session(ctx.hub_url)
    token = ctx.client().update_token(session, uuid, is_active=args.active)
    out.data(f"{token.uuid} is {'active' if token.is_active else 'inactive'}")
    return ExitCode.OK


def remove(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    uuid = validate_uuid(args.uuid)
    session = ctx.keeper.management_session(ctx.hub_url)
    client = ctx.client()
    token = client.get_token(session, uuid)
    if not args.yes:
        answer = ask_line(f'Delete token "{token.label}" ({token.uuid}) for good? [y/N] ')
        if answer is None:
            raise UsageError("refusing to delete without confirmation", hint="pass --yes")
        if answer.lower() not in ("y", "yes"):
            out.note("Nothing deleted.")
            return ExitCode.ERROR
    ours = _our_uuid(ctx)
    client.delete_token(session, uuid)
    out.data(f'Deleted "{token.label}" ({token.uuid}).')
    if token.uuid == ours:
        recreation = ctx.keeper.note_auto_token_deleted(ctx.hub_url, token.uuid)
        for line in after_deletion(recreation, ctx.clock()):
            out.note(line)
    return ExitCode.OK


def print_auto_token(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    _, secret = ctx.keeper.credential(ctx.hub_url)
    out.data(secret.reveal())
    return ExitCode.OK


def _our_uuid(ctx: Context) -> str | None:
    record = ctx.keeper.account(ctx.hub_url)
    return None if record is None or record.auto_token is None else record.auto_token.uuid


def _scope_text(token: AccessToken) -> str:
    scope = token.scope
    return scope.label if scope is not None else ", ".join(token.scopes) or "none"


def _source_text(token: AccessToken, ours: str | None) -> str:
    return token.source.value + (" (this device)" if token.uuid == ours else "")


def _token_json(token: AccessToken, now: datetime, ours: str | None) -> dict[str, Any]:
    scope = token.scope
    return {
        "uuid": token.uuid,
        "description": token.label,
        "scopes": list(token.scopes),
        "access": None if scope is None else scope.access,
        "status": token.status(now).value.lower(),
        "source": "auto" if token.source is TokenSource.AUTO else "manual",
        "this_device": token.uuid == ours,
        "created_at": format_time(token.created_at),
        "last_used": None if token.last_used is None else format_time(token.last_used),
        "expires_at": None if token.expires_at is None else format_time(token.expires_at),
    }
