"""docker on this device: the app's answers to the credential helper, "Let docker use this
token" (``credHelpers`` in docker's config.json) and the docker CLI's ``docker logout``.

The helper asks the running app first (``credhelper.appserver``). This controller keeps what the
app holds for it current: loaded on a task (it reads the keychain) after a sign-in, after every
sync (a sync may have recreated the token) and when the server finds the files changed; dropped
on sign-out and when the keychain cannot be read. docker's state is two small local files,
read here directly, as the session reads the settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from hubtokens.core import dockerconfig as dc
from hubtokens.core.errors import HubTokensError
from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.secret import Secret
from hubtokens.credhelper.answers import HeldCredentials, load_credentials
from hubtokens.credhelper.appserver import CredServer
from hubtokens.gui.messages import describe_error
from hubtokens.gui.notifications import Notification
from hubtokens.gui.state import AccountCheck, AppState, DockerStatus, Health
from hubtokens.gui.tasks import TaskHandle, TaskRunner

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DockerSetup:
    """What the controller works with, built by ``gui/app.py`` (or by the tests)."""

    config_dir: str  # the app's config folder, where the helper finds its files
    environ: Mapping[str, str]  # DOCKER_CONFIG and HOME: where docker's config.json is
    read_item: Callable[[str], Secret | None]  # one keychain item by key (Vault.get_item)
    server: CredServer | None = None  # None: the helper always reads the keychain itself


class DockerController(QObject):
    status_changed = Signal(object)  # DockerStatus
    notified = Signal(object)  # Notification
    _files_changed = Signal()  # emitted on a server thread, delivered on the GUI thread

    def __init__(
        self, runner: TaskRunner, setup: DockerSetup, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._setup = setup
        self._status = DockerStatus()
        self._hub_url: str | None = None
        self._account: str | None = None
        self._check: AccountCheck | None = None
        self._generation = 0  # of the latest load or drop: a slower, older load is ignored
        self._files_changed.connect(self._on_files_changed)

    @property
    def status(self) -> DockerStatus:
        return self._status

    def start(self, state: AppState) -> None:
        server = self._setup.server
        if server is not None:
            try:
                server.start(self._files_changed.emit)
            except HubTokensError as exc:
                logger.warning("the credential helper will read the keychain: %s", exc.message)
        self.follow(state)

    def stop(self) -> None:
        self._generation += 1
        if self._setup.server is not None:
            self._setup.server.stop()

    def follow(self, state: AppState) -> None:
        """Keep the held credentials and docker's state in step with the session."""
        check = state.check
        if not state.signed_in or (
            check is not None and check.verdict is Verdict.KEYCHAIN_UNAVAILABLE
        ):
            self._drop()
        elif state.account != self._account or check is not self._check:
            self.load()  # signed in, or a sync ended
        self._hub_url, self._account, self._check = state.hub_url, state.account, check
        self.refresh()

    # --- the credentials the app answers with ------------------------------------------

    def load(self) -> None:
        """Hold what the helper would read from the keychain now."""
        if self._setup.server is None:
            return
        self._generation += 1
        handle = self._runner.submit(
            "docker-credentials", load_credentials, self._setup.config_dir, self._setup.read_item
        )
        handle.succeeded.connect(partial(self._on_loaded, self._generation))
        handle.failed.connect(partial(self._on_load_failed, self._generation))

    def _on_loaded(self, generation: int, held: HeldCredentials) -> None:
        if generation == self._generation and self._setup.server is not None:
            self._setup.server.hold(held)

    def _on_load_failed(self, generation: int, error: BaseException) -> None:
        logger.info("the app holds nothing for the helper: %s", type(error).__name__)
        if generation == self._generation:
            self._drop()

    def _drop(self) -> None:
        self._generation += 1
        if self._setup.server is not None:
            self._setup.server.hold(None)

    def _on_files_changed(self) -> None:
        if self._account is not None:
            self.load()
        self.refresh()

    # --- docker's state and the two actions --------------------------------------------

    def refresh(self) -> None:
        """Read docker's config.json and the helper's state again."""
        config_file = dc.docker_config_file(self._setup.environ)
        try:
            helpers = dc.read_cred_helpers(config_file)
            plain = tuple(dc.plain_docker_hub_credentials(config_file))
            signed_out = (
                tuple(dc.signed_out_servers(self._setup.config_dir, self._hub_url))
                if self._hub_url is not None
                else ()
            )
            problem = None
        except HubTokensError as exc:
            helpers, signed_out, plain, problem = {}, (), (), exc.message
        uses = all(helpers.get(key) == dc.HELPER for key in dc.DOCKER_HUB_KEYS)
        self._set(
            replace(
                self._status,
                uses_helper=uses,
                signed_out=signed_out,
                plain_credentials=plain,
                problem=problem,
            )
        )

    @property
    def config_file(self) -> str:
        """docker's config.json, as the docker CLI finds it."""
        return dc.docker_config_file(self._setup.environ)

    def set_used(self, use: bool, *, remove_plain: bool = False) -> TaskHandle:
        """Name (or stop naming) the helper for the Docker Hub keys in ``credHelpers``, as
        ``hubtokens docker configure`` does; undoing removes only what was added. With
        ``remove_plain``, the same edit removes docker login's plain-text Docker Hub secret."""
        config_file = self.config_file
        edits_file = os.path.join(self._setup.config_dir, dc.EDITS_FILE)
        if use:
            handle = self._change(
                "docker-configure",
                partial(dc.add_cred_helpers, remove_plain=remove_plain),
                config_file,
                dc.DOCKER_HUB_KEYS,
                edits_file,
            )
        else:
            handle = self._change(
                "docker-configure",
                dc.remove_cred_helpers,
                config_file,
                edits_file,
                dc.DOCKER_HUB_KEYS,
            )
        handle.succeeded.connect(partial(self._on_configured, use))
        handle.failed.connect(partial(self._on_change_failed, "docker's config was not changed"))
        return handle

    def remove_plain_credential(self) -> TaskHandle:
        """Remove docker login's plain-text Docker Hub secret from config.json (backup kept)."""
        handle = self._change(
            "docker-remove-plain", dc.remove_plain_docker_hub_credentials, self.config_file
        )
        handle.succeeded.connect(self._on_plain_removed)
        handle.failed.connect(partial(self._on_change_failed, "docker's config was not changed"))
        return handle

    def sign_docker_in(self) -> TaskHandle | None:
        """After ``docker logout``: docker uses this token again, as ``hubtokens docker login``."""
        if self._hub_url is None:
            return None
        handle = self._change(
            "docker-login", dc.sign_docker_cli_in, self._setup.config_dir, self._hub_url
        )
        handle.succeeded.connect(self._on_signed_in_again)
        handle.failed.connect(partial(self._on_change_failed, "Could not sign docker in"))
        return handle

    def _change(self, name: str, fn: Callable[..., Any], *args: Any) -> TaskHandle:
        handle = self._runner.submit(name, fn, *args)
        handle.finished.connect(self._on_change_finished)
        self._set(replace(self._status, busy=True))
        return handle

    def _on_configured(self, use: bool, result: dc.EditResult) -> None:
        if use:
            title, message = "docker uses this token", "docker asks Hub Tokens for Docker Hub"
        else:
            title, message = "docker set back", "docker no longer asks Hub Tokens for Docker Hub"
        message += f" ({result.config_file})."
        if result.removed_plain:
            message += f" {_PLAIN_REMOVED}."
        self.notified.emit(Notification(title, message + _backup_words(result)))

    def _on_plain_removed(self, result: dc.EditResult) -> None:
        message = _PLAIN_REMOVED if result.removed_plain else "There was none left to remove."
        self.notified.emit(
            Notification(
                "docker's stored credential removed",
                f"{message} ({result.config_file}).{_backup_words(result)}",
            )
        )

    def _on_signed_in_again(self, result: tuple[list[str], dict[str, str]]) -> None:
        signed_in, _kept = result  # kept: docker login's own credentials, never signed out
        if signed_in:
            names = ", ".join("Docker Hub" if dc.is_docker_hub(s) else s for s in signed_in)
            self.notified.emit(
                Notification("docker signed in again", f"docker uses this token for {names}.")
            )

    def _on_change_failed(self, title: str, error: BaseException) -> None:
        self.notified.emit(Notification(title, describe_error(error), Health.ERROR))

    def _on_change_finished(self) -> None:
        self._set(replace(self._status, busy=False))
        self._on_files_changed()

    def _set(self, status: DockerStatus) -> None:
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)


_PLAIN_REMOVED = "The Docker Hub credential docker login kept in plain text is removed"


def _backup_words(result: dc.EditResult) -> str:
    if not result.backup:
        return ""
    if result.removed_plain:
        return (
            f" The previous file, which still holds that credential, is kept as {result.backup}:"
            " delete it once docker works."
        )
    return f" The previous file is kept as {result.backup}."
