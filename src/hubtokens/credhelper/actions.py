"""Which credential answers for a server, and what ``store`` and ``erase`` change.

A server is ours when it is Docker Hub (any spelling), answered by the account signed in on
https://hub.docker.com, or a registry added with ``hubtokens docker configure --registry``,
answered by the account of the hub it was added for. For one of ours, in order:

1. signed out by ``docker logout`` → not found, until ``hubtokens docker login``;
2. a credential ``docker login`` stored → that one;
3. else the app's auto token (or the PAT the person signed in with) for that account.

Any other server: ``get`` says not found and ``erase`` does nothing, without touching the
keychain; ``store`` refuses, so a ``docker login`` elsewhere cannot land in our keychain items.
"""

from __future__ import annotations

from hubtokens.core.dockerconfig import (
    DOCKER_HUB_HUB_URL,
    DOCKER_HUB_SERVER,
    canonical_server,
    is_docker_hub,
)
from hubtokens.credhelper.errors import CredentialsNotFound, HelperError
from hubtokens.credhelper.keychain import AUTO_TOKEN, DOCKER_LOGIN, item_key

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Callable

    from hubtokens.credhelper.files import AppFiles
    from hubtokens.credhelper.keychain import Keychain

NOT_OURS = (
    "hubtokens only stores credentials for Docker Hub and registries added with "
    "`hubtokens docker configure --registry`"
)


class Helper:
    """The four actions over the app's files and a keychain (opened only when needed)."""

    def __init__(self, files: AppFiles, keychain: Callable[[], Keychain]) -> None:
        self._files = files
        self._open_keychain = keychain
        self._keychain: Keychain | None = None

    def get(self, server: str) -> tuple[str, str]:
        """``(username, secret)``; ``CredentialsNotFound`` when there is none."""
        canonical = _canonical(server)
        hub = self._hub_for(canonical)
        if hub is None:
            raise CredentialsNotFound()
        states = self._files.cli_states()
        if canonical in states:
            user = states[canonical]
            if user is None:  # docker logout
                raise CredentialsNotFound()
            return user, self._secret(item_key(DOCKER_LOGIN, user, canonical))
        account = self._files.account(hub)
        if account is None:
            raise CredentialsNotFound()
        return account, self._secret(item_key(AUTO_TOKEN, account, hub))

    def store(self, server: str, username: str, secret: str) -> None:
        """Keep what ``docker login`` gives, beside (never over) the app's token."""
        canonical = _canonical(server)
        if self._hub_for(canonical) is None:
            raise HelperError(NOT_OURS)
        states = dict(self._files.cli_states())
        previous = states.get(canonical)
        self.keychain.put(item_key(DOCKER_LOGIN, username, canonical), secret)
        states[canonical] = username
        self._files.save_cli_states(states)
        if previous is not None and previous != username:
            self.keychain.delete(item_key(DOCKER_LOGIN, previous, canonical))

    def erase(self, server: str) -> None:
        """Sign the docker CLI out for one of our servers; nothing for any other."""
        canonical = _canonical(server)
        if self._hub_for(canonical) is None:
            return
        states = dict(self._files.cli_states())
        if canonical in states and states[canonical] is None:
            return  # already signed out: docker logout erases four spellings
        user = states.get(canonical)
        if user is not None:  # first, so a failure changes nothing
            self.keychain.delete(item_key(DOCKER_LOGIN, user, canonical))
        states[canonical] = None
        self._files.save_cli_states(states)

    def list(self) -> dict[str, str]:
        """``{server: username}`` for our servers that have a credential (no keychain access)."""
        listed = {}
        states = self._files.cli_states()
        for server in [DOCKER_HUB_SERVER, *sorted(self._files.registries())]:
            hub = self._hub_for(server)
            user = states[server] if server in states else hub and self._files.account(hub)
            if user:
                listed[server] = user
        return listed

    @property
    def keychain(self) -> Keychain:
        if self._keychain is None:
            self._keychain = self._open_keychain()
        return self._keychain

    def _hub_for(self, canonical: str) -> str | None:
        if is_docker_hub(canonical):
            return DOCKER_HUB_HUB_URL
        return self._files.registries().get(canonical)

    def _secret(self, key: str) -> str:
        secret = self.keychain.find(key)
        if not secret:
            raise CredentialsNotFound()
        return secret


def _canonical(server: str) -> str:
    try:
        return canonical_server(server)
    except ValueError:
        raise HelperError(
            "not a registry address: expected HOST[:PORT] or a URL such as "
            "https://index.docker.io/v1/"
        ) from None
