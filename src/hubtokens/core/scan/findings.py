"""One place a secret was found: where, what kind, and the secret (never printed, never stored)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hubtokens.core.scan.patterns import fingerprint, mask
from hubtokens.core.secret import Secret

KIND_PAT = "pat"
KIND_OAT = "oat"
KIND_DOCKER_CONFIG_PAT = "docker-config-pat"
KIND_DOCKER_CONFIG_PASSWORD = "docker-config-password"
KIND_DOCKER_CONFIG_IDENTITY_TOKEN = "docker-config-identity-token"


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # as given/relative to the root scanned; for history, the path in the tree
    line: int | None
    commit: str | None  # full hex sha for history findings, else None
    kind: str  # one of the KIND_* names
    secret: Secret
    # the user name of a docker config entry: the Hub signs a token in only under its owner
    account: str | None = None
    # where the secret starts in the file, in bytes (None when it was decoded, as in auths)
    offset: int | None = None
    # Worked out once: a password's takes a slow hash (see patterns.fingerprint).
    fingerprint: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint", fingerprint(self.secret.reveal()))

    @property
    def masked(self) -> str:
        return mask(self.secret.reveal())
