"""The CLI's composition root: the only place where real collaborators are built."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from hubtokens.core.hub.urls import DEFAULT_HUB_URL, normalize_hub_url
from hubtokens.core.paths import AppPaths
from hubtokens.core.settings import SettingsStore

if TYPE_CHECKING:
    from hubtokens.core.hub.client import HubClient
    from hubtokens.core.keeper import Keeper
    from hubtokens.core.vault import Vault

HUB_URL_ENV = "HUBTOKENS_HUB_URL"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """Everything a command needs. Heavy imports (requests, keyring) happen on first use."""

    hub_option: str | None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = utc_now

    @cached_property
    def paths(self) -> AppPaths:
        return AppPaths.default(self.environ)

    @cached_property
    def settings(self) -> SettingsStore:
        return SettingsStore(self.paths.settings_file)

    @cached_property
    def hub_url(self) -> str:
        """``--hub``, else ``HUBTOKENS_HUB_URL``, else the one hub signed in to, else Docker Hub."""
        chosen = self.hub_option or self.environ.get(HUB_URL_ENV)
        if chosen:
            return normalize_hub_url(chosen)
        signed_in = list(self.settings.load().accounts)
        return signed_in[0] if len(signed_in) == 1 else DEFAULT_HUB_URL

    @cached_property
    def vault(self) -> Vault:
        from hubtokens.core.vault import Vault

        return Vault()

    def client(self, hub_url: str | None = None) -> HubClient:
        from hubtokens.core.hub.client import HubClient

        return HubClient(hub_url or self.hub_url)

    @cached_property
    def keeper(self) -> Keeper:
        from hubtokens.core.keeper import Keeper, KeeperLock

        return Keeper(
            client_for=self.client,
            vault=self.vault,
            settings=self.settings,
            lock=KeeperLock(self.paths.keeper_lock_file),
            clock=self.clock,
            hostname=socket.gethostname(),
        )
