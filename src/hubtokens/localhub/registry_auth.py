"""The files a docker-registry needs to take localhub's tokens: the signing certificate and
the ``auth: token:`` section of its config."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from hubtokens.localhub.accounts import ISSUER
from hubtokens.localhub.handlers.registry_token import TOKEN_PATH
from hubtokens.localhub.registry import SERVICE
from hubtokens.localhub.signing import RegistrySigner

CONFIG_FILE = "registry-auth.yml"


@dataclass(frozen=True)
class RegistryAuth:
    realm: str
    service: str
    issuer: str
    cert_path: Path
    key_path: Path
    config_path: Path

    def yaml(self) -> str:
        """The section to paste into a docker-registry config (values JSON-quoted, which
        YAML reads as plain strings whatever the path holds)."""
        q = json.dumps
        return (
            "# Token auth through localhub: paste into the docker-registry config.\n"
            "auth:\n"
            "  token:\n"
            f"    realm: {q(self.realm)}\n"
            f"    service: {q(self.service)}\n"
            f"    issuer: {q(self.issuer)}\n"
            f"    rootcertbundle: {q(str(self.cert_path))}\n"
        )


def write_registry_auth(signer: RegistrySigner, hub_url: str) -> RegistryAuth:
    """Write ``registry-auth.yml`` next to the signer's certificate."""
    directory = signer.cert_path.parent
    auth = RegistryAuth(
        realm=hub_url + TOKEN_PATH,
        service=SERVICE,
        issuer=ISSUER,
        cert_path=signer.cert_path.resolve(),
        key_path=signer.key_path.resolve(),
        config_path=(directory / CONFIG_FILE).resolve(),
    )
    tmp = auth.config_path.with_name(CONFIG_FILE + ".tmp")
    tmp.write_text(auth.yaml())
    os.replace(tmp, auth.config_path)
    return auth
