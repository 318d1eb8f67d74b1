"""Findings as people and tools read them: table rows, JSON records and SARIF 2.1.0.

Only the masked secret and its fingerprint ever leave here; the secret itself never does.
``extra`` holds what later steps learned about a secret (``--identify``), by fingerprint.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from hubtokens import __version__
from hubtokens.core.scan.findings import (
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN,
    KIND_DOCKER_CONFIG_PASSWORD,
    KIND_DOCKER_CONFIG_PAT,
    KIND_OAT,
    KIND_PAT,
    Finding,
)

Extra = Mapping[str, Mapping[str, Any]]  # fingerprint -> more fields for the JSON record

KIND_WORDS = {
    KIND_PAT: "Docker personal access token",
    KIND_OAT: "Docker organization access token",
    KIND_DOCKER_CONFIG_PAT: "Docker access token kept in plain text (or base64) in an auth file",
    KIND_DOCKER_CONFIG_PASSWORD: "Registry password kept in plain text (or base64) in an auth file",
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN: "Registry identity token (an OAuth refresh token) kept in "
    "plain text in an auth file",
}
_TOKEN_ADVICE = (
    "Deactivate or delete this token on Docker Hub, give what used it a new one, and remove it "
    "from the file (and from the history, if it was committed)."
)
KIND_ADVICE = {
    KIND_PAT: _TOKEN_ADVICE,
    KIND_OAT: _TOKEN_ADVICE,
    KIND_DOCKER_CONFIG_PAT: "Let a credential helper keep it (hubtokens docker configure), "
    "then remove the auths entry; deactivate the token if the file was shared.",
    KIND_DOCKER_CONFIG_PASSWORD: "Sign in with a credential helper and an access token "
    "instead, then remove the auths entry; change the password if the file was shared.",
    KIND_DOCKER_CONFIG_IDENTITY_TOKEN: "Let a credential helper keep it, then remove the auths "
    "entry; revoke the token at the registry (sign out there) if the file was shared.",
}
TABLE_HEADERS = ("WHERE", "KIND", "SECRET", "FINGERPRINT")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://docs.docker.com/security/for-developers/access-tokens/"


def display_path(path: str) -> str:
    """A path made safe to show on a terminal: each control character (a carriage return, an
    escape that starts a terminal command, ...) written as ``\\xNN``, so a file name cannot
    rewrite what is shown; a name that is not UTF-8 repaired."""
    return "".join(
        f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char
        for char in _utf8(path)
    )


def _utf8(path: str) -> str:
    """A path whose name is not UTF-8 (kept with surrogate escapes) made valid text; JSON
    escapes its control characters itself."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def where(finding: Finding) -> str:
    """``path:line``, with the short commit before it for a finding in history."""
    place = display_path(finding.path)
    if finding.line is not None:
        place += f":{finding.line}"
    return f"{finding.commit[:12]}:{place}" if finding.commit else place


def table_rows(findings: Sequence[Finding]) -> list[tuple[str, ...]]:
    return [(where(f), f.kind, f.masked, f.fingerprint) for f in findings]


def json_records(findings: Sequence[Finding], extra: Extra | None = None) -> list[dict[str, Any]]:
    return [
        {
            "path": _utf8(f.path),
            "line": f.line,
            "commit": f.commit,
            "kind": f.kind,
            "masked": f.masked,
            "fingerprint": f.fingerprint,
            **(extra or {}).get(f.fingerprint, {}),
        }
        for f in findings
    ]


def sarif_log(findings: Sequence[Finding], extra: Extra | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one rule per kind, one result per finding."""
    kinds = sorted(KIND_WORDS)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hubtokens",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(kind) for kind in kinds],
                    }
                },
                "results": [_result(f, kinds.index(f.kind), extra or {}) for f in findings],
            }
        ],
    }


def _rule(kind: str) -> dict[str, Any]:
    return {
        "id": f"hubtokens/{kind}",
        "name": kind.title().replace("-", ""),
        "shortDescription": {"text": KIND_WORDS[kind]},
        "help": {"text": KIND_ADVICE[kind]},
        "defaultConfiguration": {"level": "error"},
    }


def _result(finding: Finding, rule_index: int, extra: Extra) -> dict[str, Any]:
    region = {"startLine": finding.line} if finding.line is not None else {}
    properties: dict[str, Any] = {"masked": finding.masked}
    if finding.commit:
        properties["commit"] = finding.commit
    properties.update(extra.get(finding.fingerprint, {}))
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path)}}
    if region:
        location["region"] = region
    return {
        "ruleId": f"hubtokens/{finding.kind}",
        "ruleIndex": rule_index,
        "level": "error",
        "message": {
            "text": f"{KIND_WORDS[finding.kind]}: {finding.masked} "
            f"(fingerprint {finding.fingerprint})."
        },
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"hubtokensSecret/v1": finding.fingerprint},
        "properties": properties,
    }


def _uri(path: str) -> str:
    """A URI for a path (its bytes percent-encoded, as RFC 3986 wants); relative stays relative."""
    encoded = quote(path.encode("utf-8", "surrogateescape"), safe="/")
    return f"file://{encoded}" if path.startswith("/") else encoded
