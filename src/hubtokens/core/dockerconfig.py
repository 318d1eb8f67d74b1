"""Docker's ``config.json``, and the small files that tell the credential helper whose servers
are whose.

What ``hubtokens docker configure`` edits: ``credHelpers`` entries naming ``hubtokens`` in
``$DOCKER_CONFIG/config.json`` (else ``~/.docker/config.json``), never ``credsStore``. Every
edit is atomic, keeps the other keys, their order and the file's indentation (a tab, as docker
writes it, for a new file), saves the previous file as ``config.json.bak-hubtokens`` and is
recorded in the app's config folder (``docker-config-edits.json``), so that undoing removes
exactly what was added and restores what was replaced, never an entry the person made. A
``config.json`` that cannot be parsed, or is read-only, is left untouched with a clear error.

What the credential helper reads on every ``get``, from the app's config folder:

* ``registries.json`` — ``{"registries": {"HOST[:PORT]": hub URL}}``: registries added with
  ``hubtokens docker configure --registry``, each answered with the account of its hub;
* ``docker-cli.json`` — ``{"servers": {server: {"signed_out": true} | {"docker_login": USER}}}``:
  a ``docker logout`` (signed out until ``hubtokens docker login``), or the username whose
  credential ``docker login`` stored through the helper (the secret is in the keychain).

Servers are named by ``canonical_server``. The helper imports this module on its hot path,
so only ``os`` is imported at the top: json, file writing and the error classes are imported
by the functions that need them.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs the helper ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from hubtokens.core.errors import ConfigError
    from hubtokens.core.fileio import EditedFrom

HELPER = "hubtokens"  # docker runs docker-credential-<HELPER>
HELPER_PROGRAM = f"docker-credential-{HELPER}"
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
# Every name tools use for Docker Hub: the docker CLI asks for the first, skopeo and
# containerd-based tools for the others.
DOCKER_HUB_KEYS = (DOCKER_HUB_SERVER, "index.docker.io", "docker.io", "registry-1.docker.io")
DOCKER_HUB_HUB_URL = "https://hub.docker.com"  # the hub whose account answers for Docker Hub

REGISTRIES_FILE = "registries.json"
DOCKER_CLI_FILE = "docker-cli.json"
EDITS_FILE = "docker-config-edits.json"
BACKUP_SUFFIX = ".bak-hubtokens"
SCHEMA_VERSION = 1

_DOCKER_HUB_HOSTS = frozenset(DOCKER_HUB_KEYS[1:])
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_IPV6_CHARS = frozenset("0123456789abcdef:.")
_MAX_SERVER = 1024


# --- server names ----------------------------------------------------------------------------


def canonical_server(server: str) -> str:
    """``https://index.docker.io/v1/`` for any Docker Hub spelling, else ``host[:port]``.

    A scheme, a path and a trailing slash are dropped, and the host is lower-cased, so the
    four spellings ``docker logout`` erases (``host``, ``http://host``, ...) are one server.
    Raises ``ValueError`` for text that is not a registry address.
    """
    text = server.strip()
    if not text or len(text) > _MAX_SERVER:
        raise ValueError("not a registry address")
    for scheme in ("https://", "http://"):
        if text[: len(scheme)].lower() == scheme:
            text = text[len(scheme) :]
            break
    host_port = text.partition("/")[0].lower()
    if host_port in _DOCKER_HUB_HOSTS:
        return DOCKER_HUB_SERVER
    if not _valid_host_port(host_port):
        raise ValueError("not a registry address")
    return host_port


def _valid_host_port(value: str) -> bool:
    if value.startswith("["):  # [IPv6]:port
        host, closed, rest = value[1:].partition("]")
        if not closed or not host or not set(host) <= _IPV6_CHARS:
            return False
        if not rest:
            return True
        if not rest.startswith(":"):
            return False
        port = rest[1:]
    else:
        host, colon, port = value.partition(":")
        if not host or not set(host) <= _HOST_CHARS or host[0] in ".-" or host[-1] in ".-":
            return False
        if not colon:
            return True
    return port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536


def is_docker_hub(server: str) -> bool:
    """True for the canonical Docker Hub server."""
    return server == DOCKER_HUB_SERVER


# --- the helper's files (parsing is lenient: a missing or odd entry is no entry) --------------


def parse_registries(data: object) -> dict[str, str]:
    """``registries.json`` as ``{canonical registry: hub URL}``."""
    raw = data.get("registries") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def registries_data(registries: Mapping[str, str]) -> dict[str, object]:
    return {"version": SCHEMA_VERSION, "registries": dict(sorted(registries.items()))}


def parse_cli_states(data: object) -> dict[str, str | None]:
    """``docker-cli.json`` as ``{server: the docker login username, or None: signed out}``.

    A server that is not there uses the app's token.
    """
    raw = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return {}
    states: dict[str, str | None] = {}
    for server, entry in raw.items():
        if not isinstance(server, str) or not isinstance(entry, dict):
            continue
        user = entry.get("docker_login")
        if isinstance(user, str) and user:
            states[server] = user
        elif entry.get("signed_out") is True:
            states[server] = None
    return states


def cli_states_data(states: Mapping[str, str | None]) -> dict[str, object]:
    servers = {
        server: {"signed_out": True} if user is None else {"docker_login": user}
        for server, user in sorted(states.items())
    }
    return {"version": SCHEMA_VERSION, "servers": servers}


def load_json(path: str, loads: Callable[[str], object] | None = None) -> object:
    """A JSON file's content; None when it does not exist. ConfigError when unusable.
    ``loads`` lets the credential helper parse without importing ``json``."""
    if loads is None:
        import json

        loads = json.loads
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _config_error(f"cannot read {path}: {_reason(exc)}") from None
    try:
        return loads(text)
    except ValueError:
        raise _config_error(f"{path} is not valid JSON", hint="fix or remove it") from None


def save_json(path: str, data: object) -> None:
    """Write ``data`` atomically, owner-only."""
    import json

    _write(path, json.dumps(data, indent=2) + "\n")


def _write(path: str, text: str, mode: int = 0o600, edited_from: EditedFrom | None = None) -> None:
    from pathlib import Path

    from hubtokens.core.fileio import write_atomic

    try:
        write_atomic(Path(path), text, mode=mode, edited_from=edited_from)
    except OSError as exc:
        raise _config_error(f"cannot write {path}: {_reason(exc)}") from None


def _config_error(message: str, hint: str | None = None) -> ConfigError:
    from hubtokens.core.errors import ConfigError

    return ConfigError(message, hint=hint)


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def servers_of_hub(config_dir: str, hub_url: str) -> list[str]:
    """The servers the account of ``hub_url`` answers for: Docker Hub and/or registries."""
    registries = parse_registries(load_json(os.path.join(config_dir, REGISTRIES_FILE)))
    servers = [DOCKER_HUB_SERVER] if hub_url == DOCKER_HUB_HUB_URL else []
    return servers + sorted(r for r, hub in registries.items() if hub == hub_url)


def map_registry(config_dir: str, registry: str, hub_url: str) -> None:
    """Record that ``registry`` is answered by the account of ``hub_url``."""
    path = os.path.join(config_dir, REGISTRIES_FILE)
    registries = parse_registries(load_json(path))
    if registries.get(registry) != hub_url:
        registries[registry] = hub_url
        save_json(path, registries_data(registries))


def forget_registries(config_dir: str, only: Sequence[str] | None = None) -> list[str]:
    """Forget the registries in ``only`` (None: all of them); returns those forgotten."""
    path = os.path.join(config_dir, REGISTRIES_FILE)
    registries = parse_registries(load_json(path))
    forgotten = [r for r in registries if only is None or r in only]
    if forgotten:
        save_json(
            path, registries_data({r: h for r, h in registries.items() if r not in forgotten})
        )
    return forgotten


def sign_docker_cli_in(config_dir: str, hub_url: str) -> tuple[list[str], dict[str, str]]:
    """Undo ``docker logout`` for the servers of ``hub_url``: they use the app's token again.

    Returns the servers signed in again, and those left with the credential ``docker login``
    stored ({server: username}); that one is the person's until they ``docker logout``.
    """
    path = os.path.join(config_dir, DOCKER_CLI_FILE)
    states = parse_cli_states(load_json(path))
    signed_in, kept = [], {}
    for server in servers_of_hub(config_dir, hub_url):
        if server not in states:
            continue
        user = states[server]
        if user is None:
            del states[server]
            signed_in.append(server)
        else:
            kept[server] = user
    if signed_in:
        save_json(path, cli_states_data(states))
    return signed_in, kept


def signed_out_servers(config_dir: str, hub_url: str) -> list[str]:
    """The servers of ``hub_url`` that ``docker logout`` signed out (``sign_docker_cli_in``
    signs them in again)."""
    states = parse_cli_states(load_json(os.path.join(config_dir, DOCKER_CLI_FILE)))
    return [s for s in servers_of_hub(config_dir, hub_url) if s in states and states[s] is None]


# --- docker's config.json --------------------------------------------------------------------


def docker_config_file(environ: Mapping[str, str]) -> str:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json`` (as the docker CLI)."""
    folder = environ.get("DOCKER_CONFIG") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".docker"
    )
    return os.path.join(folder, "config.json")


class EditResult:
    """What an edit of ``config.json`` did."""

    __slots__ = ("backup", "changes", "config_file", "left_alone", "removed_plain")

    def __init__(self, config_file: str) -> None:
        self.config_file = config_file
        self.changes: list[tuple[str, str | None, str | None]] = []  # (server, before, after)
        self.left_alone: list[str] = []  # entries that were not ours to change
        self.removed_plain: list[str] = []  # auths keys whose plain-text credential went
        self.backup: str | None = None  # the previous file, when it was rewritten


def read_cred_helpers(config_file: str) -> dict[str, str]:
    """The ``credHelpers`` of a docker config (empty when there is no file)."""
    _, config = _read_config(config_file)
    helpers = config.get("credHelpers")
    return {k: v for k, v in helpers.items() if isinstance(v, str)} if helpers else {}


def add_cred_helpers(
    config_file: str, servers: Sequence[str], edits_file: str, *, remove_plain: bool = False
) -> EditResult:
    """Make ``credHelpers`` name ``hubtokens`` for ``servers``; record what was changed. With
    ``remove_plain``, the same write also removes :func:`plain_docker_hub_credentials` (so the
    one backup is the file as it was)."""
    return _retrying(
        lambda: _add_cred_helpers(config_file, servers, edits_file, remove_plain), config_file
    )


def _add_cred_helpers(
    config_file: str, servers: Sequence[str], edits_file: str, remove_plain: bool
) -> EditResult:
    config_file = os.path.realpath(config_file)  # edit a symlinked file, keep the link
    text, config = _read_config(config_file)
    result = EditResult(config_file)
    edits = _load_edits(edits_file)
    record = edits.setdefault(config_file, _Edits())
    if "credHelpers" not in config:
        config["credHelpers"] = {}
        record.created_cred_helpers = True
    helpers = config["credHelpers"]
    for server in servers:
        before = helpers.get(server)
        if before == HELPER:
            result.left_alone.append(server)
            continue
        helpers[server] = HELPER
        record.entries[server] = before
        result.changes.append((server, before, HELPER))
    if remove_plain:
        _drop_plain(config, result)
    if result.changes or result.removed_plain:
        mode = _writable_mode(config_file, text)
        _save_edits(edits_file, edits)  # first: an undo must know, even after a crash
        result.backup = _rewrite(config_file, text, config, mode)
    return result


def remove_cred_helpers(
    config_file: str, edits_file: str, servers: Sequence[str] | None = None
) -> EditResult:
    """Undo what ``add_cred_helpers`` recorded (for ``servers``, or all of it).

    An entry is restored only while it still names ``hubtokens``: one the person changed
    since is theirs and stays.
    """
    return _retrying(lambda: _remove_cred_helpers(config_file, edits_file, servers), config_file)


def _remove_cred_helpers(
    config_file: str, edits_file: str, servers: Sequence[str] | None
) -> EditResult:
    config_file = os.path.realpath(config_file)
    text, config = _read_config(config_file)
    result = EditResult(config_file)
    edits = _load_edits(edits_file)
    record = edits.get(config_file)
    if record is None:
        return result
    helpers = config.get("credHelpers", {})
    for server in [s for s in record.entries if servers is None or s in servers]:
        previous = record.entries.pop(server)
        if helpers.get(server) != HELPER:
            result.left_alone.append(server)
            continue
        if previous is None:
            del helpers[server]
        else:
            helpers[server] = previous
        result.changes.append((server, HELPER, previous))
    if not record.entries:
        if record.created_cred_helpers and helpers == {} and "credHelpers" in config:
            del config["credHelpers"]
        del edits[config_file]
    if result.changes:
        result.backup = _rewrite(config_file, text, config, _writable_mode(config_file, text))
    _save_edits(edits_file, edits)
    return result


# What docker login keeps in an ``auths`` entry without a credential helper or store: the
# secret in plain text (``auth`` is only base64 of "user:secret").
_PLAIN_CREDENTIAL_FIELDS = ("auth", "password", "identitytoken")


def plain_docker_hub_credentials(config_file: str) -> list[str]:
    """The ``auths`` keys naming Docker Hub whose entry holds a credential in plain text
    (an empty entry, as docker writes beside a credential store, holds none)."""
    _, config = _read_config(config_file)
    return _plain_docker_hub_keys(config)


def _plain_docker_hub_keys(config: dict[str, Any]) -> list[str]:
    auths = config.get("auths")
    if not isinstance(auths, dict):
        return []
    return [
        key
        for key, entry in auths.items()
        if _names_docker_hub(key)
        and isinstance(entry, dict)
        and any(entry.get(name) for name in _PLAIN_CREDENTIAL_FIELDS)
    ]


def _names_docker_hub(key: object) -> bool:
    try:
        return isinstance(key, str) and is_docker_hub(canonical_server(key))
    except ValueError:
        return False


def remove_plain_docker_hub_credentials(config_file: str) -> EditResult:
    """Remove the ``auths`` entries of :func:`plain_docker_hub_credentials`, with the same
    atomic edit and backup as ``add_cred_helpers`` (the backup still holds them). Not
    recorded as an edit: undoing "docker configure" never brings a plain-text secret back."""
    return _retrying(lambda: _remove_plain(config_file), config_file)


def _remove_plain(config_file: str) -> EditResult:
    config_file = os.path.realpath(config_file)
    text, config = _read_config(config_file)
    result = EditResult(config_file)
    _drop_plain(config, result)
    if result.removed_plain:
        result.backup = _rewrite(config_file, text, config, _writable_mode(config_file, text))
    return result


def _drop_plain(config: dict[str, Any], result: EditResult) -> None:
    for key in _plain_docker_hub_keys(config):
        del config["auths"][key]
        result.removed_plain.append(key)


_EDIT_ATTEMPTS = 20


def _retrying(edit: Callable[[], EditResult], config_file: str) -> EditResult:
    """Run ``edit`` again while another program (the docker CLI) rewrites the file between
    our read and our write: its change is kept, and ours is made over it."""
    import random
    import time

    from hubtokens.core.fileio import ChangedMeanwhile

    for attempt in range(_EDIT_ATTEMPTS):
        try:
            return edit()
        except ChangedMeanwhile:
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # out of step with the writer
    raise _config_error(
        f"{config_file} kept changing while it was being edited; it was left as the other "
        "program wrote it",
        hint="run the command again",
    )


def _read_config(config_file: str) -> tuple[str | None, dict[str, Any]]:
    """The file's text (None when missing) and its object; ConfigError leaves it untouched."""
    import json

    try:
        with open(config_file, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        raise _config_error(f"cannot read {config_file}: {_reason(exc)}") from None
    if not text.strip():
        return text, {}  # docker treats an empty file as an empty config
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise _config_error(
            f"{config_file} is not valid JSON ({exc}); it was left untouched",
            hint="fix the file (or move it away) and run the command again",
        ) from None
    if not isinstance(config, dict):
        raise _config_error(f"{config_file} does not hold a JSON object; it was left untouched")
    helpers = config.get("credHelpers")
    if helpers is not None and not isinstance(helpers, dict):
        raise _config_error(f"credHelpers in {config_file} is not an object; it was left untouched")
    if helpers is None and "credHelpers" in config:
        del config["credHelpers"]  # null: docker reads it as absent
    return text, config


def _writable_mode(config_file: str, text: str | None) -> int:
    """The mode to keep; ConfigError when the file is read-only (honoured even for root)."""
    if text is None:
        return 0o600
    mode = os.stat(config_file).st_mode & 0o777
    if not mode & 0o200:
        raise _config_error(
            f"{config_file} is read-only; it was left untouched",
            hint=f"make it writable (chmod u+w {config_file}) and run the command again",
        )
    return mode


def _rewrite(
    config_file: str, old_text: str | None, config: dict[str, Any], mode: int
) -> str | None:
    """Write ``config`` in the old file's style; returns the backup's path, if one was made."""
    import json

    indent = _indent_of(old_text) if old_text else "\t"
    text = json.dumps(config, indent=indent, ensure_ascii=False)
    text += "\n" if old_text is None or old_text.endswith("\n") else ""
    backup = None
    if old_text is not None:
        backup = config_file + BACKUP_SUFFIX
        _write(backup, old_text, mode)
    from hubtokens.core.fileio import EditedFrom

    _write(config_file, text, mode, edited_from=EditedFrom(old_text))
    return backup


def _indent_of(text: str) -> str:
    """The indentation unit of a JSON text: that of its first indented line."""
    for line in text.splitlines()[1:]:
        body = line.lstrip(" \t")
        if body and len(body) < len(line):
            return line[: len(line) - len(body)]
    return "\t"


class _Edits:
    """What was changed in one config.json: server -> the value it had before (None: none)."""

    __slots__ = ("created_cred_helpers", "entries")

    def __init__(self, created_cred_helpers: bool = False) -> None:
        self.created_cred_helpers = created_cred_helpers
        self.entries: dict[str, str | None] = {}


def _load_edits(edits_file: str) -> dict[str, _Edits]:
    data = load_json(edits_file)
    raw = data.get("files") if isinstance(data, dict) else None
    edits: dict[str, _Edits] = {}
    for path, item in raw.items() if isinstance(raw, dict) else ():
        entries = item.get("entries") if isinstance(item, dict) else None
        if isinstance(path, str) and isinstance(entries, dict):
            record = edits[path] = _Edits(item.get("created_cred_helpers") is True)
            for server, before in entries.items():
                if before is None or isinstance(before, str):
                    record.entries[server] = before
    return edits


def _save_edits(edits_file: str, edits: dict[str, _Edits]) -> None:
    files = {
        path: {"created_cred_helpers": r.created_cred_helpers, "entries": r.entries}
        for path, r in edits.items()
    }
    save_json(edits_file, {"version": SCHEMA_VERSION, "files": files})
