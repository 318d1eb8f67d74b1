"""localhub is a separate program: the standard library and itself, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys

# Only what importing and running localhub adds counts (site hooks load before it).
PROBE = """
import json, sys
before = set(sys.modules)
import hubtokens.localhub, hubtokens.localhub.program
from hubtokens.localhub import LocalHub
with LocalHub() as hub:
    hub.seed_demo()
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_only_the_standard_library_is_imported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=30
    )
    modules = json.loads(result.stdout)
    foreign = {
        name
        for name in modules
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "hubtokens"
    }
    assert foreign == set()
    ours = {name for name in modules if name.startswith("hubtokens.")}
    assert all(name.startswith("hubtokens.localhub") for name in ours), ours
