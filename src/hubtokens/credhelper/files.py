"""The app's files that the helper reads: found without platformdirs, parsed without ``json``.

``config_dir`` must name the folder ``core.paths.AppPaths.default()`` does (a test holds them
together): ``$HUBTOKENS_HOME/config``, else on Linux and the BSDs the XDG config folder, as
platformdirs computes it, plus ``hubtokens``. On macOS and Windows it asks AppPaths, which the
keyring path there pays for anyway.
"""

from __future__ import annotations

import os
import sys

from hubtokens.core.dockerconfig import (
    DOCKER_CLI_FILE,
    REGISTRIES_FILE,
    cli_states_data,
    load_json,
    parse_cli_states,
    parse_registries,
)
from hubtokens.credhelper.errors import HelperError
from hubtokens.credhelper.fastjson import loads

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Mapping

HOME_ENV = "HUBTOKENS_HOME"  # as core.paths
APP_NAME = "hubtokens"
SETTINGS_FILE = "settings.json"


def config_dir(environ: Mapping[str, str]) -> str:
    home = environ.get(HOME_ENV)
    if home:
        return os.path.join(os.path.expanduser(home), "config")
    if sys.platform in ("darwin", "win32"):
        from hubtokens.core.paths import AppPaths

        return str(AppPaths.default(environ).config_dir)
    base = environ.get("XDG_CONFIG_HOME", "")
    if not base.strip():
        base = os.path.expanduser("~/.config")
    return os.path.join(base, APP_NAME)


class AppFiles:
    """Settings, registries and docker CLI state in one config folder, each read once."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._settings: object = None
        self._registries: dict[str, str] | None = None
        self._cli_states: dict[str, str | None] | None = None

    def account(self, hub_url: str) -> str | None:
        """The account signed in on ``hub_url`` (settings.json: accounts[hub_url].account)."""
        if self._settings is None:
            self._settings = self._read(SETTINGS_FILE) or {}
        accounts = self._settings.get("accounts") if isinstance(self._settings, dict) else None
        record = accounts.get(hub_url) if isinstance(accounts, dict) else None
        account = record.get("account") if isinstance(record, dict) else None
        return account if isinstance(account, str) and account else None

    def registries(self) -> dict[str, str]:
        if self._registries is None:
            self._registries = parse_registries(self._read(REGISTRIES_FILE))
        return self._registries

    def cli_states(self) -> dict[str, str | None]:
        if self._cli_states is None:
            self._cli_states = parse_cli_states(self._read(DOCKER_CLI_FILE))
        return self._cli_states

    def save_cli_states(self, states: dict[str, str | None]) -> None:
        from hubtokens.core.dockerconfig import save_json
        from hubtokens.core.errors import HubTokensError

        try:
            save_json(os.path.join(self.folder, DOCKER_CLI_FILE), cli_states_data(states))
        except HubTokensError as exc:
            raise HelperError(exc.message) from None
        self._cli_states = dict(states)

    def _read(self, name: str) -> object:
        try:
            return load_json(os.path.join(self.folder, name), loads)
        except Exception as exc:  # ConfigError: importing its class would slow every `get`
            hint = getattr(exc, "hint", None)
            raise HelperError(f"{exc}: {hint}" if hint else str(exc)) from None
