"""``hubtokens docker ...``: configure, status and login, for the docker CLI and other tools."""

from __future__ import annotations

import argparse
import os
import shutil
from typing import Any

from hubtokens.cli.context import Context
from hubtokens.cli.output import Output
from hubtokens.core import dockerconfig as dc
from hubtokens.core.errors import ConfigError, ExitCode, NotSignedIn, UsageError


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    docker = sub.add_parser(
        "docker", parents=[common], help="let docker and other tools use this device's token"
    )
    dsub = docker.add_subparsers(dest="docker_command", metavar="COMMAND", required=True)

    p = dsub.add_parser(
        "configure",
        parents=[common],
        help="name the hubtokens credential helper in docker's config.json (credHelpers)",
        description="Adds credHelpers entries naming hubtokens for Docker Hub (never "
        "credsStore) in $DOCKER_CONFIG/config.json, else ~/.docker/config.json. The previous "
        "file is kept as config.json.bak-hubtokens; --undo removes exactly what was added.",
    )
    p.add_argument("--undo", action="store_true", help="remove what configure added")
    p.add_argument(
        "--registry",
        metavar="HOST[:PORT]",
        help="also (or, with --undo, only) this registry, answered by the account of --hub",
    )
    p.set_defaults(run=configure)

    p = dsub.add_parser(
        "status", parents=[common], help="what docker is configured to use, and whether it works"
    )
    p.set_defaults(run=status)

    p = dsub.add_parser(
        "login",
        parents=[common],
        help="sign the docker CLI in again after `docker logout` (uses this device's token)",
    )
    p.set_defaults(run=login)


# --- configure -------------------------------------------------------------------------------


def configure(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    config_dir = str(ctx.paths.config_dir)
    config_file = dc.docker_config_file(ctx.environ)
    edits_file = os.path.join(config_dir, dc.EDITS_FILE)
    registry = _registry(args.registry) if args.registry else None
    if args.undo:
        only = None if registry is None else [registry]
        result = dc.remove_cred_helpers(config_file, edits_file, only)
        forgotten = dc.forget_registries(config_dir, only)
        _print_edit(result, out, registries={r: None for r in forgotten})
        return ExitCode.OK
    servers = [*dc.DOCKER_HUB_KEYS, *([registry] if registry else [])]
    result = dc.add_cred_helpers(config_file, servers, edits_file)
    if registry is not None:
        dc.map_registry(config_dir, registry, ctx.hub_url)
    _print_edit(result, out, registries={registry: ctx.hub_url} if registry else {})
    if _helper_program(ctx) is None:
        out.note(
            f"warning: {dc.HELPER_PROGRAM} is not on PATH, so docker cannot run it; "
            "install Hub Tokens so that its programs are on PATH"
        )
    hubs = {dc.DOCKER_HUB_HUB_URL} | ({ctx.hub_url} if registry else set())
    settings = ctx.settings.load()
    for hub in sorted(h for h in hubs if settings.account_for(h) is None):
        out.note(f"note: not signed in to {hub} yet; run: hubtokens signin --hub {hub}")
    return ExitCode.OK


def _registry(value: str) -> str:
    try:
        registry = dc.canonical_server(value)
    except ValueError:
        raise UsageError(
            f"--registry takes HOST[:PORT], for example 127.0.0.1:5000, not {value!r}"
        ) from None
    if dc.is_docker_hub(registry):
        raise UsageError("Docker Hub is always configured: leave out --registry")
    return registry


def _print_edit(result: dc.EditResult, out: Output, *, registries: dict[str, str | None]) -> None:
    if out.as_json:
        out.json(
            {
                "docker_config": result.config_file,
                "changes": [
                    {"server": server, "before": before, "after": after}
                    for server, before, after in result.changes
                ],
                "left_alone": result.left_alone,
                "backup": result.backup,
                "registries": registries,
            }
        )
        return
    out.data(f"Docker config: {result.config_file}")
    for server, before, after in result.changes:
        if after is None:
            out.data(f"  removed   {server}")
        elif before is None:
            out.data(f"  added     {server}: {after}")
        else:
            verb = "restored " if before == dc.HELPER else "replaced "
            out.data(f"  {verb} {server}: {before} -> {after}")
    for server in result.left_alone:
        out.data(f"  unchanged {server}")
    if not result.changes:
        out.data("Nothing to change.")
    if result.backup:
        out.data(f"The previous file is kept as {result.backup}")
    for registry, hub in registries.items():
        if hub is None:
            out.data(f"Forgot registry {registry}.")
        else:
            out.data(f"Registry {registry} is answered by the account signed in on {hub}.")


# --- status ----------------------------------------------------------------------------------


def status(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    config_dir = str(ctx.paths.config_dir)
    config_file = dc.docker_config_file(ctx.environ)
    try:
        helpers: dict[str, str] = dc.read_cred_helpers(config_file)
        config_error = None
    except ConfigError as exc:
        helpers, config_error = {}, exc.message
    registries = dc.parse_registries(dc.load_json(os.path.join(config_dir, dc.REGISTRIES_FILE)))
    states = dc.parse_cli_states(dc.load_json(os.path.join(config_dir, dc.DOCKER_CLI_FILE)))
    settings = ctx.settings.load()
    rows: list[dict[str, Any]] = []
    for server, hub, names in [
        (dc.DOCKER_HUB_SERVER, dc.DOCKER_HUB_HUB_URL, list(dc.DOCKER_HUB_KEYS)),
        *((r, h, [r]) for r, h in sorted(registries.items())),
    ]:
        record = settings.account_for(hub)
        rows.append(
            {
                "server": server,
                "hub": hub,
                "account": None if record is None else record.account,
                "cred_helpers": {name: helpers.get(name) for name in names},
                "docker_cli": _cli_state(server, states, record is not None),
                "docker_login_user": states.get(server),
            }
        )
    program = _helper_program(ctx)
    if out.as_json:
        out.json(
            {
                "docker_config": config_file,
                "docker_config_error": config_error,
                "helper_program": program,
                "servers": rows,
            }
        )
        return ExitCode.OK
    out.data(f"Docker config:  {config_file}" + (f" ({config_error})" if config_error else ""))
    out.data(f"Helper program: {program or f'{dc.HELPER_PROGRAM} is NOT on PATH'}")
    out.data("")
    out.table(
        ["SERVER", "CREDHELPERS", "ACCOUNT", "DOCKER CLI"],
        [
            [
                _server_name(row["server"]),
                _cred_helpers_cell(row["cred_helpers"]),
                f"{row['account'] or '-'} on {row['hub']}",
                _CLI_TEXT[row["docker_cli"]].format(user=row["docker_login_user"]),
            ]
            for row in rows
        ],
    )
    if any(row["docker_cli"] == "signed-out" for row in rows):
        out.data("")
        out.data("Sign the docker CLI in again with: hubtokens docker login")
    return ExitCode.OK


_CLI_TEXT = {
    "app-token": "uses this device's token",
    "docker-login": "uses the credential from docker login ({user})",
    "signed-out": "signed out by docker logout",
    "not-signed-in": "not signed in",
}


def _cli_state(server: str, states: dict[str, str | None], signed_in: bool) -> str:
    if server in states:
        return "signed-out" if states[server] is None else "docker-login"
    return "app-token" if signed_in else "not-signed-in"


def _cred_helpers_cell(entries: dict[str, str | None]) -> str:
    ours = sum(1 for value in entries.values() if value == dc.HELPER)
    others = sorted({v for v in entries.values() if v not in (None, dc.HELPER)})
    if len(entries) == 1:
        return next(iter(entries.values())) or "-"
    cell = f"{dc.HELPER} ({ours} of {len(entries)} names)" if ours else "-"
    return cell + (f", also {', '.join(others)}" if others else "")


def _server_name(server: str) -> str:
    return "Docker Hub" if dc.is_docker_hub(server) else server


def _logout_command(server: str) -> str:
    return "docker logout" if dc.is_docker_hub(server) else f"docker logout {server}"


def _helper_program(ctx: Context) -> str | None:
    return shutil.which(dc.HELPER_PROGRAM, path=ctx.environ.get("PATH"))


# --- login -----------------------------------------------------------------------------------


def login(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    hub = ctx.hub_url
    record = ctx.settings.load().account_for(hub)
    if record is None:
        raise NotSignedIn(f"not signed in to {hub}", hint="run: hubtokens signin")
    config_dir = str(ctx.paths.config_dir)
    servers = dc.servers_of_hub(config_dir, hub)
    signed_in, kept = dc.sign_docker_cli_in(config_dir, hub)
    if out.as_json:
        out.json({"hub": hub, "account": record.account, "signed_in": signed_in, "kept": kept})
        return ExitCode.OK
    if not servers:
        out.data(
            f"No docker server uses {hub}; add a registry with: "
            "hubtokens docker configure --registry HOST[:PORT]"
        )
    for server in signed_in:
        out.data(f"The docker CLI uses {record.account}'s token for {_server_name(server)} again.")
    for server, user in kept.items():
        out.data(
            f"{_server_name(server)} keeps the credential docker login stored for {user}; "
            f"to use this device's token instead run: {_logout_command(server)}, then this again."
        )
    if servers and not signed_in and not kept:
        out.data("The docker CLI is not signed out: nothing to do.")
    return ExitCode.OK
