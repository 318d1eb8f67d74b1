"""The leak check's work, run on the task pool (never on the GUI thread): scanning folders and
this computer's usual places with the real scanner, identifying the secrets found at the
signed-in Hub, and deactivating the account's live ones. Results are immutable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hubtokens.core.hub.models import AccessToken
from hubtokens.core.scan.files import ScanStats, scan_paths
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.home import scan_home
from hubtokens.core.scan.identify import Identification, Identifier, Identity
from hubtokens.gui.controllers.token_tasks import HubAccess

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


def _identifier(
    access: HubAccess, cancelled: threading.Event | None = None
) -> tuple[Identifier, str | None]:
    """The identifier for the signed-in account, and this device's auto token's uuid."""
    record = access.account()
    device = None if record.auto_token is None else record.auto_token.uuid
    identifier = Identifier(
        access.client_for(access.hub_url),
        hub_url=access.hub_url,
        account=record.account,
        management_session=lambda: access.keeper.management_session(access.hub_url),
        clock=access.clock,
        device_token=device,
        # Cancel (closing the dialog) wakes a rate limit's wait, and no further secret is sent.
        sleep=cancelled.wait if cancelled is not None else time.sleep,
        cancelled=cancelled,
    )
    return identifier, device


@dataclass(frozen=True, slots=True)
class Identified:
    result: Identification
    device_token: str | None  # this device's auto token's uuid, to name it when deactivating


def identify(
    access: HubAccess, findings: Sequence[Finding], *, cancelled: threading.Event
) -> Identified:
    """Each secret's identity; stops signing in with them once ``cancelled``."""
    identifier, device = _identifier(access, cancelled)
    return Identified(identifier.identify(findings), device)


def deactivate(access: HubAccess, identities: Iterable[Identity]) -> tuple[AccessToken, ...]:
    """Deactivate the account's live tokens among ``identities``; the tokens as they are now."""
    identifier, _device = _identifier(access)
    return tuple(identifier.deactivate(identities))
