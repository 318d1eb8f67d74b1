"""The words of the leak check's results table: one row per finding, as pure functions of the
finding and what identifying learned, so the dialog only places them."""

from __future__ import annotations

from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN,
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    KIND_OAT,
    KIND_PAT,
    Finding,
)
from hubtokens.core.scan.identify import Identity
from hubtokens.core.scan.output import KIND_ADVICE, KIND_WORDS, where

HEADERS = ("Where", "Kind", "Secret", "Which token", "Live")
KIND_SHORT = {
    KIND_PAT: "Personal access token",
    KIND_OAT: "Organization access token",
    KIND_DOCKER_CONFIG_PAT: "Token in an auth file (plain text)",
    KIND_DOCKER_CONFIG_PASSWORD: "Password in an auth file (plain text)",
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN: "Identity token in an auth file (plain text)",
}
NOT_IDENTIFIED = "not identified yet (Identify… asks the Hub)"


def row_texts(
    finding: Finding, identity: Identity | None, deactivated: bool
) -> tuple[str, str, str, str, str]:
    return (
        where(finding),
        KIND_SHORT.get(finding.kind, finding.kind),
        finding.masked,
        _which(identity, deactivated),
        _live(identity, deactivated),
    )


def row_tooltip(finding: Finding) -> str:
    kind = KIND_WORDS.get(finding.kind, finding.kind)
    advice = KIND_ADVICE.get(finding.kind, "")
    return f"{kind} (fingerprint {finding.fingerprint}). {advice}".strip()


def _which(identity: Identity | None, deactivated: bool) -> str:
    if identity is None:
        return NOT_IDENTIFIED
    if deactivated:
        return f"your token '{identity.description}' · deactivated now"
    return identity.words


def _live(identity: Identity | None, deactivated: bool) -> str:
    if deactivated:
        return "no (deactivated)"
    if identity is None or identity.live is None:
        return "—"
    return "yes" if identity.live else "no"


def size_words(count: int) -> str:
    """Bytes for people: "812 KB", "3.4 MB", "1.2 GB"."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{count} bytes"
