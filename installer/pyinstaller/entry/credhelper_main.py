"""Frozen entry point of ``docker-credential-hubtokens`` (``hubtokens.credhelper.main:main``).

Imports nothing but the helper's main module: its ``get`` path loads what it needs lazily.
"""

from hubtokens.credhelper.main import main

raise SystemExit(main())
