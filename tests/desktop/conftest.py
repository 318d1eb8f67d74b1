"""Fixtures for driving the real app from outside: a private desktop per test, and the app
started on it (``start``) with a person to use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desktop.accessibility import Accessibility
from tests.desktop.desktop import Desktop
from tests.desktop.person import DemoApp, Person


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    session = Desktop(tmp_path / "desktop")
    yield session
    session.close()


@pytest.fixture
def start(desktop: Desktop, tmp_path: Path) -> Iterator[Callable[..., Person]]:
    """``start(*args)``: ``hubtokens-gui --demo *args`` on the desktop, and its user."""
    agents: list[Accessibility] = []

    def started(*args: str) -> Person:
        root = tmp_path / f"app{len(agents)}"
        agents.append(Accessibility(desktop.env, tmp_path / f"atspi{len(agents)}.log"))
        return Person(desktop, agents[-1], DemoApp(desktop, root, *args))

    yield started
    for agent in agents:
        agent.close()  # the app itself ends with the desktop
