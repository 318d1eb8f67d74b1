"""Where the app keeps its files: platformdirs, or one folder given by ``HUBTOKENS_HOME``.

``HUBTOKENS_HOME`` lets tests (and portable installs) keep everything in one place so that a
real home is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "hubtokens"
HOME_ENV = "HUBTOKENS_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    state_dir: Path

    @classmethod
    def under(cls, home: Path) -> AppPaths:
        return cls(
            config_dir=home / "config",
            data_dir=home / "data",
            cache_dir=home / "cache",
            log_dir=home / "log",
            state_dir=home / "state",
        )

    @classmethod
    def default(cls, environ: Mapping[str, str] = os.environ) -> AppPaths:
        home = environ.get(HOME_ENV)
        if home:
            return cls.under(Path(home).expanduser())
        import platformdirs  # only here: the credential helper must not pay for it

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            config_dir=dirs.user_config_path,
            data_dir=dirs.user_data_path,
            cache_dir=dirs.user_cache_path,
            log_dir=dirs.user_log_path,
            state_dir=dirs.user_state_path,
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def keeper_lock_file(self) -> Path:
        return self.state_dir / "keeper.lock"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "hubtokens.log"

    def all_dirs(self) -> tuple[Path, ...]:
        return (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.state_dir)
