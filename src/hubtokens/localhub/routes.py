"""The route table: which handler answers which method and path, and 404/405 otherwise."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hubtokens.localhub.accounts import SECOND_FACTOR_DETAIL, AuthFailed, SecondFactorRequired
from hubtokens.localhub.handlers.access_tokens import AccessTokenHandlers
from hubtokens.localhub.handlers.login import LoginHandlers
from hubtokens.localhub.handlers.registry_token import TOKEN_PATH, RegistryTokenHandlers
from hubtokens.localhub.messages import ApiError, Reply, Request, error, json_reply

Handler = Callable[[Request, dict[str, str]], Reply]

ACCESS_TOKENS_PATH = "/v2/access-tokens"
DESKTOP_GENERATE_PATH = ACCESS_TOKENS_PATH + "/desktop-generate"
# Both make a token, so both draw on the token-creation budget.
_TOKEN_CREATION_PATHS = (ACCESS_TOKENS_PATH, DESKTOP_GENERATE_PATH)


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]


def path_pattern(template: str) -> re.Pattern[str]:
    """A path with ``{name}`` segments; a trailing slash is optional, as on the Hub."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(regex + "/?")


def build_routes(
    login: LoginHandlers, tokens: AccessTokenHandlers, registry: RegistryTokenHandlers
) -> list[Route]:
    return [
        Route(path_pattern("/v2/users/login"), {"POST": login.login}),
        Route(path_pattern("/v2/users/2fa-login"), {"POST": login.second_factor}),
        Route(path_pattern("/v2/auth/token"), {"POST": login.auth_token}),
        Route(path_pattern(ACCESS_TOKENS_PATH), {"GET": tokens.list_tokens, "POST": tokens.create}),
        Route(
            path_pattern(ACCESS_TOKENS_PATH + "/{uuid}"),
            {"GET": tokens.get, "PATCH": tokens.patch, "DELETE": tokens.delete},
        ),
        # auth.docker.io's place, served by the same hub: the registry's token realm.
        Route(path_pattern(TOKEN_PATH), {"GET": registry.token}),
    ]


def is_token_creation(request: Request) -> bool:
    return request.method == "POST" and request.path.rstrip("/") in _TOKEN_CREATION_PATHS


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = routes

    def dispatch(self, request: Request) -> Reply:
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = route.methods.get(request.method)
            if handler is None:
                allow = ", ".join(sorted(route.methods))
                return error(405, f'Method "{request.method}" not allowed.', {"Allow": allow})
            return _answer(handler, request, match.groupdict())
        return error(404, "Not found")


def _answer(handler: Handler, request: Request, params: dict[str, str]) -> Reply:
    try:
        return handler(request, params)
    except ApiError as exc:
        return exc.reply
    except SecondFactorRequired as exc:
        return json_reply(
            401, {"detail": SECOND_FACTOR_DETAIL, "login_2fa_token": exc.login_2fa_token}
        )
    except AuthFailed as exc:
        return error(401, exc.detail)
