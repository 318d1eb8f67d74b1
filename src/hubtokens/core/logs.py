"""Logging set-up with secret redaction on every handler.

Redaction is the last line of defence (the ``Secret`` type is the first): it scrubs registered
secret values and anything shaped like a PAT, a bearer header or a JWT.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

_PATTERNS = (
    re.compile(r"dckr_(?:pat|oat)_[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(bearer|jwt)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r'(?i)("?(?:secret|password|token|login_2fa_token)"?\s*[:=]\s*)"?[^\s",}]+"?'),
)
MASK = "****"


class SecretRegistry:
    """Secret values seen at run time, so the filter can scrub them wherever they appear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        if len(value) >= 6:  # shorter values would mask ordinary words
            with self._lock:
                self._values.add(value)

    def values(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._values, key=len, reverse=True))


def redact(text: str, registry: SecretRegistry | None = None) -> str:
    if registry is not None:
        for value in registry.values():
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(
                lambda m: m.group(1) + (" " if m.group(1)[-1].isalpha() else "") + MASK, text
            )
        else:
            text = pattern.sub(MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Renders each record once, redacted, so no handler can print a secret."""

    def __init__(self, registry: SecretRegistry | None = None) -> None:
        super().__init__()
        self.registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.registry)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are rendered by the formatter; cache a redacted copy instead.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self.registry
            )
            record.exc_info = None
        return True


def configure_logging(
    *, level: int, log_file: Path | None, stderr: bool, registry: SecretRegistry | None = None
) -> None:
    """Configure the root logger once per program (CLI, GUI or helper)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        from logging.handlers import RotatingFileHandler

        file_handler = RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handlers.append(file_handler)
    if stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handlers.append(stream)
    for handler in handlers:
        handler.addFilter(RedactingFilter(registry))
        root.addHandler(handler)
    root.setLevel(level)
    # urllib3 logs full URLs, and warns on each retry that we already report in our own words.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
