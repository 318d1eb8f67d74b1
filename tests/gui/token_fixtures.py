"""Fixtures for the token window tests, pulled in with ``pytest_plugins`` by each module.

The windows run against the real local Hub through a real keeper (tests/gui/conftest.py);
only the yes/no questions are answered by ``ScriptedPrompts`` instead of a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.tokens import TokensController
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.token_window import TokenWindow
from tests.gui.token_support import (
    TASK_TIMEOUT_MS,
    ControllerFactory,
    ScriptedPrompts,
    refresh,
)

# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


@pytest.fixture
def make_controller(
    task_runner: TaskRunner,
    client_for: Callable[[str], HubClient],
    hub_url: str,
    clock: Callable[[], datetime],
) -> ControllerFactory:
    return lambda keeper: TokensController(task_runner, keeper, client_for, hub_url, clock)


def _window(
    qtbot: QtBot,
    controller: TokensController,
    clipboard: ClipboardGuard,
    prompts: ScriptedPrompts,
) -> Iterator[TokenWindow]:
    window = TokenWindow(controller, clipboard, prompts)
    qtbot.addWidget(window)
    window.show()
    refresh(qtbot, controller).result  # noqa: B018 (raises if the listing failed)
    yield window
    # Let tasks started by the test finish while their receivers still exist.
    qtbot.waitUntil(lambda: not controller.busy, timeout=TASK_TIMEOUT_MS)


@pytest.fixture
def demo_window(
    qtbot: QtBot,
    make_controller: ControllerFactory,
    demo_keeper: Keeper,
    clipboard_guard: ClipboardGuard,
    prompts: ScriptedPrompts,
) -> Iterator[TokenWindow]:
    """The window of the demo account, listed."""
    yield from _window(qtbot, make_controller(demo_keeper), clipboard_guard, prompts)


@pytest.fixture
def alice_window(
    qtbot: QtBot,
    make_controller: ControllerFactory,
    signed_in_keeper: Keeper,
    clipboard_guard: ClipboardGuard,
    prompts: ScriptedPrompts,
) -> Iterator[TokenWindow]:
    """The window of alice (only her auto token at first), listed."""
    yield from _window(qtbot, make_controller(signed_in_keeper), clipboard_guard, prompts)
