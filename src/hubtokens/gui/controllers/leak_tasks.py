"""The leak check's work, run on the task pool (never on the GUI thread): scanning folders and
this computer's usual places with the real scanner, identifying the secrets found at the
signed-in Hub, and deactivating the account's live ones. Results are immutable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hubtokens.core.errors import NotSignedIn
from hubtokens.core.hub.models import AccessToken
from hubtokens.core.keeper import Keeper
from hubtokens.core.scan.files import ScanStats, scan_paths
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.home import scan_home
from hubtokens.core.scan.identify import Identification, Identifier, Identity, TokenHub

Progress = Callable[[int, int], None]  # files, bytes scanned so far


@dataclass(frozen=True, slots=True)
class ScanRequest:
    folders: tuple[Path, ...]
    home: Path | None  # also the places tokens end up on this computer, under this home
    environ: Mapping[str, str]  # DOCKER_CONFIG, HISTFILE, ...: where those places are


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    findings: tuple[Finding, ...]
    files: int
    bytes: int
    skipped: int  # files that could not be read


def scan(request: ScanRequest, *, cancelled: threading.Event, on_progress: Progress) -> ScanOutcome:
    """Findings in the folders, then in the home's usual places; stops when ``cancelled``."""
    stats = ScanStats()
    findings: list[Finding] = []
    if request.folders:
        findings.extend(
            # in this process (parallel=False): a Qt process must not fork
            scan_paths(
                request.folders,
                cancelled=cancelled,
                on_progress=on_progress,
                stats=stats,
                parallel=False,
            )
        )
    if request.home is not None and not cancelled.is_set():
        for finding in scan_home(request.home, request.environ, stats=stats):
            findings.append(finding)
            if cancelled.is_set():
                break
        on_progress(stats.files, stats.bytes)
    return ScanOutcome(tuple(findings), stats.files, stats.bytes, len(stats.skipped))


@dataclass(frozen=True, slots=True)
class LeakAccess:
    """What identifying and deactivating need (all safe to use from any thread)."""

    keeper: Keeper
    client_for: Callable[[str], TokenHub]
    hub_url: str
    clock: Callable[[], datetime]

    def identifier(self) -> tuple[Identifier, str | None]:
        """The identifier for the signed-in account, and this device's auto token's uuid."""
        record = self.keeper.account(self.hub_url)
        if record is None:
            raise NotSignedIn(
                f"identifying asks the hub you are signed in to: not signed in to {self.hub_url}"
            )
        device = None if record.auto_token is None else record.auto_token.uuid
        identifier = Identifier(
            self.client_for(self.hub_url),
            hub_url=self.hub_url,
            account=record.account,
            management_session=lambda: self.keeper.management_session(self.hub_url),
            clock=self.clock,
            device_token=device,
        )
        return identifier, device


@dataclass(frozen=True, slots=True)
class Identified:
    result: Identification
    device_token: str | None  # this device's auto token's uuid, to name it when deactivating


def identify(access: LeakAccess, findings: Sequence[Finding]) -> Identified:
    identifier, device = access.identifier()
    return Identified(identifier.identify(findings), device)


def deactivate(access: LeakAccess, identities: Iterable[Identity]) -> tuple[AccessToken, ...]:
    """Deactivate the account's live tokens among ``identities``; the tokens as they are now."""
    identifier, _device = access.identifier()
    return tuple(identifier.deactivate(identities))
