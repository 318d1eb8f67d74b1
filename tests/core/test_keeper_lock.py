"""The keeper lock when its file cannot be used: a clear error naming it, not a traceback.
(The tests run as root too, so they block the file with what permissions cannot lift.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from hubtokens.core.errors import ConfigError
from hubtokens.core.keeper import KeeperLock


def _take(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as raised, KeeperLock(path, timeout=1).held():
        pass
    return raised.value


def test_a_lock_file_that_cannot_be_opened_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "keeper.lock"
    path.mkdir()  # in the lock file's place: os.open cannot open it for writing

    error = _take(path)

    assert str(path) in error.message and "Is a directory" in error.message


def test_a_state_folder_that_cannot_be_made_is_a_config_error_naming_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("")  # a file where the state folder should be

    error = _take(state / "keeper.lock")

    assert str(state) in error.message and "File exists" in error.message
