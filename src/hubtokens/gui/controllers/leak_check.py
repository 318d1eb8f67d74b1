"""``LeakCheckController``: the leak check dialog's link to the scanner and the Hub.

One scan at a time, on the task pool, woken at once by Cancel (its ``cancelled`` Event);
identifying and deactivating are tasks too, and identifying stops as soon as the dialog closes
(each secret it sends counts as a use of that token on the Hub). The results are kept here, by fingerprint, so the
dialog only shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from hubtokens.core.hub.models import AccessToken
from hubtokens.core.scan.findings import Finding
from hubtokens.core.scan.identify import Identity
from hubtokens.gui.controllers import leak_tasks
from hubtokens.gui.controllers.leak_tasks import Identified, ScanOutcome, ScanRequest
from hubtokens.gui.controllers.token_tasks import HubAccess
from hubtokens.gui.messages import describe_error
from hubtokens.gui.tasks import TaskHandle, TaskRunner


class _ProgressRelay(QObject):
    """Carries the scan's counts from the worker to the GUI thread. Not the controller's
    child: the worker may still report after the dialog is gone, and this lives as long as
    the task holds it. Bytes exceed a C++ int, so the counts travel as one Python object."""

    counted = Signal(object)  # (files, bytes)

    def report(self, files: int, size: int) -> None:
        self.counted.emit((files, size))


class LeakCheckController(QObject):
    scan_started = Signal()
    scan_progress = Signal(int, object)  # files, bytes
    scan_finished = Signal(object)  # ScanOutcome, or None when cancelled or failed
    identified = Signal()  # identities are in
    deactivated = Signal()
    own_token_changed = Signal()  # this device's auto token was deactivated
    busy_changed = Signal(bool)
    error = Signal(str)
    note = Signal(str)  # what happened, in plain words

    def __init__(
        self,
        runner: TaskRunner,
        access: HubAccess | None,  # None: not signed in, nothing to identify against
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._access = access
        self.findings: tuple[Finding, ...] = ()
        self.identities: dict[str, Identity] = {}  # by fingerprint
        self.deactivated_uuids: set[str] = set()
        self.device_token: str | None = None
        self._scan: TaskHandle | None = None
        self._relay: _ProgressRelay | None = None  # the current scan's
        self._task: TaskHandle | None = None  # identifying or deactivating
        self._identifying: TaskHandle | None = None  # the task, when identifying

    @property
    def can_identify(self) -> bool:
        return self._access is not None

    @property
    def scanning(self) -> bool:
        return self._scan is not None

    @property
    def busy(self) -> bool:
        return self._scan is not None or self._task is not None

    # --- scanning -------------------------------------------------------------------------

    def start_scan(self, request: ScanRequest) -> TaskHandle:
        self.cancel_scan()
        self.findings, self.identities = (), {}
        self.deactivated_uuids.clear()
        relay = _ProgressRelay()
        relay.counted.connect(self._on_counted)
        self._relay = relay
        handle = self._runner.submit_cancellable(
            "leak scan", leak_tasks.scan, request, on_progress=relay.report
        )
        self._scan = handle
        # Methods, not lambdas: Qt drops their connections when the dialog is gone.
        handle.succeeded.connect(self._on_scan_succeeded)
        handle.failed.connect(self._on_failed)
        handle.finished.connect(self._on_scan_finished)
        self.scan_started.emit()
        self.busy_changed.emit(True)
        return handle

    def cancel_scan(self) -> None:
        """Wakes the scan at once; nothing it found is shown."""
        if self._scan is not None:
            self._scan.cancel()

    def _on_counted(self, counts: tuple[int, int]) -> None:
        # A cancelled scan's worker may still report after a newer scan started: only the
        # current scan's relay counts.
        if self.sender() is self._relay and self._scan is not None and not self._scan.cancelled:
            self.scan_progress.emit(*counts)

    def _on_scan_succeeded(self, outcome: ScanOutcome) -> None:
        if self.sender() is self._scan:
            self.findings = outcome.findings
            self._end_scan(outcome)

    def _on_scan_finished(self) -> None:
        if self.sender() is self._scan:  # cancelled or failed
            self._end_scan(None)

    def _end_scan(self, outcome: ScanOutcome | None) -> None:
        self._scan = None
        self.scan_finished.emit(outcome)
        self.busy_changed.emit(self.busy)

    # --- identifying and deactivating -----------------------------------------------------

    def identify(self) -> TaskHandle | None:
        if self._access is None or not self.findings or self.busy:
            return None
        handle = self._runner.submit_cancellable(
            "identify secrets", leak_tasks.identify, self._access, list(self.findings)
        )
        self._identifying = handle
        self._track(handle)
        handle.succeeded.connect(self._on_identified)
        return handle

    def cancel_identifying(self) -> None:
        """No further secret is sent, a rate limit's wait ends at once; nothing is shown.
        (A deactivation, asked for and confirmed, is not cancelled.)"""
        if self._identifying is not None:
            self._identifying.cancel()

    def _on_identified(self, identified: Identified) -> None:
        self.identities = dict(identified.result.identities)
        self.device_token = identified.device_token
        self.identified.emit()
        if identified.result.stopped:
            self.error.emit(
                f"Identification stopped: {identified.result.stopped}. The rest were not checked."
            )

    def deactivatable(self, fingerprints: Sequence[str]) -> list[Identity]:
        """The account's live tokens among the secrets ``fingerprints``, each once."""
        found: dict[str, Identity] = {}
        for fp in fingerprints:
            identity = self.identities.get(fp)
            if (
                identity is not None
                and identity.yours
                and identity.uuid is not None
                and identity.uuid not in self.deactivated_uuids
            ):
                found[identity.uuid] = identity
        return list(found.values())

    def is_device_token(self, identity: Identity) -> bool:
        return identity.uuid is not None and identity.uuid == self.device_token

    def deactivate(self, identities: Sequence[Identity]) -> TaskHandle | None:
        if self._access is None or not identities or self.busy:
            return None
        handle = self._runner.submit(
            "deactivate leaked tokens", leak_tasks.deactivate, self._access, identities
        )
        self._track(handle)
        handle.succeeded.connect(self._on_deactivated)
        return handle

    def _on_deactivated(self, tokens: tuple[AccessToken, ...]) -> None:
        self.deactivated_uuids.update(token.uuid for token in tokens)
        self.note.emit(deactivated_note(tokens, self.device_token))
        self.deactivated.emit()
        if any(token.uuid == self.device_token for token in tokens):
            self.own_token_changed.emit()

    # --- plumbing -------------------------------------------------------------------------

    def _track(self, handle: TaskHandle) -> None:
        self._task = handle
        handle.failed.connect(self._on_failed)
        handle.finished.connect(self._on_task_finished)
        self.busy_changed.emit(True)

    def _on_task_finished(self) -> None:
        self._task = self._identifying = None
        self.busy_changed.emit(self.busy)

    def _on_failed(self, exc: Exception) -> None:
        self.error.emit(describe_error(exc))


def deactivated_note(tokens: Sequence[AccessToken], device_token: str | None) -> str:
    """What deactivating did, and how each token gets a working successor: Replace… for the
    account's others; this device's auto token is not replaced by Hub Tokens while it is
    deactivated (Replace… is off for it), only once it is deleted."""
    others = [t for t in tokens if t.uuid != device_token]
    own = [t for t in tokens if t.uuid == device_token]
    sentences = []
    if others:
        names = ", ".join(f"“{t.label}”" for t in others)
        each = "its place" if len(others) == 1 else "place of each"
        sentences.append(f"Deactivated {names} on the Hub. Replace… makes a token in {each}.")
    for token in own:
        sentences.append(
            f"Deactivated “{token.label}” on the Hub. It is this device's auto token: docker "
            "here cannot use it until it is activated again (Manage access tokens…). Hub Tokens "
            "does not replace a deactivated auto token; delete it there and Hub Tokens makes a "
            "new one."
        )
    return " ".join(sentences)
