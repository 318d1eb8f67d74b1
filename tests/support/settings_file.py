"""Editing the app's settings file from tests, as if time had passed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path


def age_creation_attempts(hubtokens_home: Path, minutes: int) -> None:
    """Move the keeper's recorded creation attempts into the past. The CLI runs on the real
    clock, so a sign-in spends a creation attempt "now"; tests that need the budget to allow
    another attempt move that attempt back instead of waiting."""
    path = hubtokens_home / "config" / "settings.json"
    data = json.loads(path.read_text())
    for account in data["accounts"].values():
        account["creation_attempts"] = [
            (
                datetime.fromisoformat(t.replace("Z", "+00:00")) - timedelta(minutes=minutes)
            ).isoformat()
            for t in account["creation_attempts"]
        ]
    path.write_text(json.dumps(data))
