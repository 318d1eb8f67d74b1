"""Frozen entry point of ``hubtokens`` (pyproject's script ``hubtokens.cli.main:main``)."""

# Not named after a program: PyInstaller puts this folder on the search path, and a
# "hubtokens.py" here would shadow the package.

from hubtokens.cli.main import main

raise SystemExit(main())
