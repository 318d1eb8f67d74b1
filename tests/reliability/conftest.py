"""The reliability suite (issue 6): faults, process kills, keychain and file faults,
concurrency, bad input, a security scan and load.

Every test here runs in the normal suite with small counts. ``scripts/reliability.py`` runs the
same tests with ``HUBTOKENS_RELIABILITY_SCALE=full`` (the big counts: 1,000 randomised
reconcile runs, the whole SIGKILL matrix, 200 concurrent helpers) and collects what each test
tallied (``HUBTOKENS_RELIABILITY_REPORT``, one JSON object per line) into RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hubtokens.localhub import LocalHub
from tests.fixtures.keychain import SecretService
from tests.reliability.cliproc import CliHome

SCALE_ENV = "HUBTOKENS_RELIABILITY_SCALE"
REPORT_ENV = "HUBTOKENS_RELIABILITY_REPORT"
MARKER = "reliability: issue 6 reliability/security proofs (scaled up by scripts/reliability.py)"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too, so the suite runs under --strict-markers before pyproject lists it.
    config.addinivalue_line("markers", MARKER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.reliability)


def full_scale() -> bool:
    return os.environ.get(SCALE_ENV, "").strip().lower() == "full"


def scaled(quick: int, full: int) -> int:
    """``quick`` in the normal suite, ``full`` under scripts/reliability.py."""
    return full if full_scale() else quick


class Tally:
    """What a test tried and what held, for the RELIABILITY.md table."""

    _lock = threading.Lock()

    def __init__(self, test_id: str) -> None:
        self.test_id = test_id

    def record(self, row: str, tried: int, held: str, **figures: Any) -> None:
        path = os.environ.get(REPORT_ENV)
        if not path:
            return
        entry = {"test": self.test_id, "row": row, "tried": tried, "held": held, **figures}
        with self._lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    yield Tally(request.node.nodeid)


@pytest.fixture
def home(tmp_path: Path, local_hub: LocalHub, secret_service: SecretService) -> Iterator[CliHome]:
    """A new home for the real CLI (and app) on the local hub, offscreen, with the shared
    gnome-keyring restored before and after: a test may lock, freeze or remove it. A module
    that needs more (signed in, a docker config) overrides this fixture on top of it."""
    secret_service.restore()
    yield CliHome.make(tmp_path / "home", local_hub, secret_service, QT_QPA_PLATFORM="offscreen")
    secret_service.restore()
