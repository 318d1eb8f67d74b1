"""``python -m hubtokens.localhub ...``"""

from __future__ import annotations

import sys

from hubtokens.localhub.program import main

raise SystemExit(main(sys.argv[1:]))
