"""Frozen entry point of ``hubtokens-gui`` (pyproject's gui-script ``hubtokens.gui.app:main``)."""

from hubtokens.gui.app import main

raise SystemExit(main())
