"""The sign-in service put together: its stores, its routes on the hub's router."""

from __future__ import annotations

from hubtokens.localhub.accounts import Accounts
from hubtokens.localhub.config import HubConfig
from hubtokens.localhub.oauth.activate import ActivatePages
from hubtokens.localhub.oauth.desktop_generate import DesktopGenerate
from hubtokens.localhub.oauth.grants import DeviceGrants
from hubtokens.localhub.oauth.sessions import SessionLifetimes, WebSessions
from hubtokens.localhub.oauth.token_endpoint import ACTIVATE_PATH, TokenEndpoint
from hubtokens.localhub.routes import DESKTOP_GENERATE_PATH, Route, path_pattern
from hubtokens.localhub.store import Store


class SignInService:
    def __init__(self, config: HubConfig, store: Store) -> None:
        self._config = config
        self._store = store
        lifetimes = SessionLifetimes(
            absolute=config.oauth_session_lifetime,
            idle=config.oauth_session_idle,
            without_refresh=config.oauth_access_token_lifetime,
        )
        self.sessions = WebSessions(store, config.clock, lifetimes)
        self.grants = DeviceGrants(
            config.clock, config.device_code_lifetime, config.device_poll_interval
        )

    def routes(self, accounts: Accounts) -> list[Route]:
        """To go before the hub's own routes: desktop-generate would otherwise be taken for
        a token uuid."""
        config = self._config
        endpoint = TokenEndpoint(
            self._store,
            accounts,
            self.grants,
            self.sessions,
            config.clock,
            config.oauth_access_token_lifetime,
        )
        generate = DesktopGenerate(self._store, accounts, self.sessions, config.clock)
        activate = ActivatePages(self._store, accounts, self.grants, config.clock)
        return [
            Route(path_pattern("/oauth/device/code"), {"POST": endpoint.device_code}),
            Route(path_pattern("/oauth/token"), {"POST": endpoint.token}),
            Route(path_pattern("/oauth/revoke"), {"POST": endpoint.revoke}),
            Route(path_pattern(DESKTOP_GENERATE_PATH), {"POST": generate.generate}),
            Route(
                path_pattern(ACTIVATE_PATH), {"GET": activate.start, "POST": activate.enter_code}
            ),
            Route(path_pattern(ACTIVATE_PATH + "/login"), {"POST": activate.login}),
            Route(path_pattern(ACTIVATE_PATH + "/decide"), {"POST": activate.decide}),
        ]
