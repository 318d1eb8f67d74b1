"""``signin``, ``signout``, ``status`` and ``sync``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from hubtokens.cli.context import Context
from hubtokens.cli.output import Output, ask_line, read_secret
from hubtokens.cli.recreation import NOW_COMMAND, now_command
from hubtokens.cli.recreation import status_line as recreation_line
from hubtokens.cli.web_signin import sign_in_through_browser
from hubtokens.core import dockerconfig
from hubtokens.core.errors import AuthenticationFailed, ExitCode, UsageError
from hubtokens.core.hub.models import TwoFactorChallenge, format_time
from hubtokens.core.keeper import AUTO_TOKEN_LIMIT, ReconcileReport, Recreation, SignInResult
from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.settings import AccountRecord
from hubtokens.core.timefmt import exact, relative


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "signin",
        parents=[common],
        help="sign in (through the browser, or with --username and a password) and get "
        "this device's auto token",
    )
    p.add_argument(
        "--username",
        "-u",
        help="Docker ID: sign in with a password or an access token instead of the browser",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password or a PAT from stdin"
    )
    p.add_argument("--otp", metavar="CODE", help="two-factor code, if the account uses 2FA")
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser: print the page and the code to open elsewhere",
    )
    p.set_defaults(run=signin)

    p = sub.add_parser(
        "signout", parents=[common], help="delete this device's auto token and forget the sign-in"
    )
    p.add_argument("--keep-token", action="store_true", help="leave the auto token on the hub")
    p.set_defaults(run=signout)

    p = sub.add_parser(
        "status", parents=[common], help="account, session, auto token and keychain health"
    )
    p.set_defaults(run=status)

    p = sub.add_parser(
        "sync", parents=[common], help="check the auto token once and repair it if needed"
    )
    p.add_argument(
        "--now",
        action="store_true",
        help="your own request: repair at once, without waiting for the creation budget "
        "(which spaces out automatic recreation); the hub's rate limits still apply",
    )
    p.add_argument(
        "--displace",
        action="store_true",
        help=f"recreate a token that Docker's limit of {AUTO_TOKEN_LIMIT} auto-generated tokens "
        "per account displaced: Docker Hub then deletes the oldest other device's auto token",
    )
    p.set_defaults(run=sync)


def signin(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    if args.username:
        result = _sign_in_with_password(args, ctx)
    elif args.password_stdin or args.otp:
        raise UsageError(
            "a password sign-in needs the username",
            hint="pass --username, or leave out --password-stdin and --otp to sign in "
            "through the browser",
        )
    else:
        result = sign_in_through_browser(
            ctx.keeper, ctx.hub_url, out, open_browser=not args.no_browser
        )
    # Signing in is also the way back after `docker logout` (which the helper honours).
    dockerconfig.sign_docker_cli_in(str(ctx.paths.config_dir), result.hub_url)
    _print_sign_in(result, out)
    return ExitCode.OK


def _sign_in_with_password(args: argparse.Namespace, ctx: Context) -> SignInResult:
    password = read_secret(from_stdin=args.password_stdin, prompt="Password or access token: ")
    outcome = ctx.keeper.sign_in(ctx.hub_url, args.username, password, otp=args.otp)
    if not isinstance(outcome, TwoFactorChallenge):
        return outcome
    code = ask_line("Two-factor code: ")
    if not code:
        raise AuthenticationFailed(
            "this account uses two-factor authentication",
            hint="pass the current code with --otp CODE",
        )
    return ctx.keeper.complete_two_factor(ctx.hub_url, outcome, code)


def _print_sign_in(result: SignInResult, out: Output) -> None:
    if out.as_json:
        out.json(
            {
                "hub": result.hub_url,
                "account": result.account,
                "with_pat": result.with_pat,
                "sign_in": result.sign_in,
                "session_expires_at": _time(result.session.expires_at),
                "auto_token": None if result.report is None else _report_json(result.report),
            }
        )
        return
    how = " through the browser" if result.sign_in == "web" else ""
    out.data(f"Signed in to {result.hub_url} as {result.account}{how}.")
    if result.with_pat:
        out.data(
            "Signed in with a personal access token: the docker CLI will use it, but managing "
            "tokens needs a sign-in through the browser or with a password."
        )
    elif result.report is not None:
        out.data(_capitalize(result.report.message) + ".")


def signout(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    result = ctx.keeper.sign_out(ctx.hub_url, keep_token=args.keep_token)
    if out.as_json:
        out.json(
            {
                "hub": result.hub_url,
                "account": result.account,
                "deleted_token": result.deleted_token,
                "session_closed": result.session_closed,
            }
        )
        return ExitCode.OK
    out.data(f"Signed out of {result.hub_url} ({result.account}).")
    if result.deleted_token:
        out.data(f"Deleted this device's auto token {result.deleted_token} on the hub.")
    elif args.keep_token:
        out.data("The auto token was left on the hub; delete it there when you no longer need it.")
    if result.session_closed is True:
        out.data("Ended the sign-in session with Docker.")
    elif result.session_closed is False:
        out.data(
            "Could not reach Docker's sign-in service, so the session was forgotten here but "
            "not revoked there; it ends on its own when unused, and Docker Hub then removes "
            "its auto token."
        )
    return ExitCode.OK


def status(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    now = ctx.clock()
    state = ctx.keeper.status(ctx.hub_url)
    diagnostics = ctx.vault.diagnostics()
    record = state.record
    if out.as_json:
        out.json(
            {
                "hub": record.hub_url,
                "account": record.account,
                "credential": record.credential,
                "sign_in": record.sign_in,
                "session_ended": state.session_ended,
                "session_expires_at": _time(state.session_expires_at),
                "management": "ok" if state.management is None else state.management,
                **_auto_token_json(record),
                "recreation": None
                if state.recreation is None
                else _recreation_json(state.recreation),
                "credential_stored": state.has_credential,
                "last_check": _time(record.last_check),
                "last_outcome": record.last_outcome,
                "last_message": record.last_message,
                "next_check": _time(state.next_check_at),
                "keychain": {
                    "backend": diagnostics.backend,
                    "secure": diagnostics.secure,
                    "locked": diagnostics.locked,
                    "last_error": diagnostics.last_error,
                },
            }
        )
        return ExitCode.OK
    rows: list[tuple[str, str]] = [("Hub", record.hub_url), ("Account", record.account)]
    if record.credential == "auto-token" and record.sign_in == "web":
        rows.append(("Sign-in", "through the browser; the session renews itself"))
    elif record.credential == "auto-token":
        rows.append(("Sign-in", "with a password"))
    if state.session_expires_at is not None:
        when = f"{exact(state.session_expires_at)} ({relative(state.session_expires_at, now)})"
        rows.append(("Session", f"valid until {when}" if state.management is None else when))
    if state.management is not None:
        rows.append(("Management", state.management))
    if record.credential == "pat":
        rows.append(("Docker CLI", "uses the personal access token you signed in with"))
    else:
        rows.append(("Auto token", _auto_token_text(record, now)))
    if not state.has_credential:
        rows.append(("Credential", "missing from the keychain"))
    if state.recreation is not None:
        rows.append(("Recreation", recreation_line(state.recreation, now)))
    if record.last_check is not None:
        rows.append(("Last check", f"{relative(record.last_check, now)}: {record.last_message}"))
    if state.next_check_at is not None:
        rows.append(("Next check", _next_check_text(state.next_check_at, now)))
    keychain = diagnostics.backend + (" (secure" if diagnostics.secure else " (NOT secure")
    keychain += ", locked)" if diagnostics.locked else ")"
    rows.append(("Keychain", keychain))
    if diagnostics.last_error:
        rows.append(("Keychain error", diagnostics.last_error))
    width = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        out.data(f"{(key + ':').ljust(width)} {value}")
    return ExitCode.OK


def _auto_token_json(record: AccountRecord) -> dict[str, Any]:
    """``auto_token``: the token docker uses, or null; a deleted one is named beside it."""
    token = record.auto_token
    if token is None or token.deleted_at is not None:
        return {
            "auto_token": None,
            "auto_token_deleted": None
            if token is None
            else {
                "uuid": token.uuid,
                "label": token.label,
                "created_at": format_time(token.created_at),
                "deleted_at": _time(token.deleted_at),
            },
        }
    deactivated = record.last_outcome == Verdict.REPORT_INACTIVE.value
    return {
        "auto_token": {
            "uuid": token.uuid,
            "label": token.label,
            "created_at": format_time(token.created_at),
            "active": not deactivated,
        },
        "auto_token_deleted": None,
    }


def _recreation_json(recreation: Recreation) -> dict[str, Any]:
    return {
        "reason": recreation.reason.value,
        "automatic_at": _time(recreation.automatic_at),
        "rate_limited_until": _time(recreation.rate_limited_until),
        "automatic": recreation.automatic,
        "now_command": now_command(recreation),
    }


def _auto_token_text(record: AccountRecord, now: datetime) -> str:
    token = record.auto_token
    if token is None:
        return "none yet"
    if token.deleted_at is not None and record.last_outcome == Verdict.REPORT_DISPLACED.value:
        return (
            f"displaced by another device's sign-in {relative(token.deleted_at, now)} "
            f"(Docker's limit of {AUTO_TOKEN_LIMIT} auto-generated tokens; “{token.label}”)"
        )
    if token.deleted_at is not None:
        return f"deleted on the hub {relative(token.deleted_at, now)} (“{token.label}”)"
    text = f"{token.label} · created {relative(token.created_at, now)}"
    if record.last_outcome == Verdict.REPORT_INACTIVE.value:
        text += " · deactivated on the hub: activate it to use it again (it is not replaced)"
    return text


def _next_check_text(when: datetime, now: datetime) -> str:
    if when <= now:  # nothing has checked since: the app is not running
        return (
            f"due since {relative(when, now)} (the app checks when it runs; or run: hubtokens sync)"
        )
    return f"{relative(when, now)} ({exact(when)})"


def sync(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    if args.displace:
        report = ctx.keeper.recreate_displaced(ctx.hub_url)
    else:
        report = ctx.keeper.reconcile(ctx.hub_url, explicit=args.now)
    if out.as_json:
        out.json(_report_json(report))
    else:
        out.data(_capitalize(report.message) + ".")
        for uuid in report.deleted:
            out.data(f"Deleted stray auto token {uuid}.")
        if report.action.verdict is Verdict.WAIT_FOR_BUDGET:
            out.note(f"To create it now: {NOW_COMMAND}")
    return _REPORT_EXIT.get(report.action.verdict.value, ExitCode.OK)


# The outcomes where nothing is wrong exit 0; the others say why by their code.
_REPORT_EXIT = {
    "session-expired": ExitCode.AUTH,
    "offline": ExitCode.HUB_UNREACHABLE,
    "keychain-unavailable": ExitCode.KEYCHAIN,
    "back-off": ExitCode.RATE_LIMITED,
    "wait-for-budget": ExitCode.RATE_LIMITED,
    "inactive": ExitCode.ERROR,
    "displaced": ExitCode.ERROR,
}


def _report_json(report: ReconcileReport) -> dict[str, Any]:
    return {
        "outcome": report.action.verdict.value,
        "reason": None if report.action.reason is None else report.action.reason.value,
        "observation": report.observation.value,
        "message": report.message,
        "created": None if report.created is None else report.created.uuid,
        "deleted": list(report.deleted),
        "until": _time(report.action.until),
        "next_check": _time(report.next_check_at),
    }


def _time(value: Any) -> str | None:
    return None if value is None else format_time(value)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
