"""Fixtures the keeper's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.core.keeper_support import SwitchableKeyring


@pytest.fixture
def keyring() -> Iterator[SwitchableKeyring]:
    """An in-memory keychain whose writes can be made to fail (see ``SwitchableKeyring``)."""
    backend = SwitchableKeyring()
    yield backend
    backend.release()
