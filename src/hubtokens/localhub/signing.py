"""The registry token signer: a key pair and a self-signed certificate, made and used with
the ``openssl`` command, so localhub keeps to the standard library.

The Python standard library can neither make an RSA/EC key nor sign with one. The
``openssl`` command can, it is on every Linux and macOS machine, and one signature costs a
few milliseconds (one process). Keys are P-256 (ES256) by default: generated in
milliseconds, where an RSA key takes most of a second. An RSA key already in the folder is
reused and signs RS256.

Tokens carry both header fields the distribution registry (2.x) accepts: ``x5c`` (the
certificate, which the registry checks against its ``rootcertbundle``) and ``kid``, the
libtrust fingerprint of the public key, which it looks up among the bundle's keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
CERT_SUBJECT = "localhub registry token signer"
CERT_DAYS = 3650
_TIMEOUT_SECONDS = 20

# DER encodings of the algorithm identifiers in a SubjectPublicKeyInfo.
_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption
_EC_OID = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey
_P256_OID = bytes.fromhex("06082a8648ce3d030107")  # prime256v1
_P256_SIZE = 32

# Only what `req -x509` needs, so neither the system's openssl.cnf nor its absence matters.
_REQ_CONFIG = f"""\
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = {CERT_SUBJECT}
[ext]
basicConstraints = critical,CA:true
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
"""


class SigningError(RuntimeError):
    """openssl is missing or failed, or the key/certificate in the folder cannot be used."""


@dataclass(frozen=True)
class RegistrySigner:
    key_path: Path
    cert_path: Path
    algorithm: str  # "ES256" or "RS256"
    kid: str  # libtrust key ID of the public key
    cert_der: bytes

    def encode(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` as the distribution registry verifies it."""
        header = {
            "typ": "JWT",
            "alg": self.algorithm,
            "kid": self.kid,
            "x5c": [base64.b64encode(self.cert_der).decode()],
        }
        signing_input = _b64url(_json(header)) + "." + _b64url(_json(claims))
        return signing_input + "." + _b64url(self.sign(signing_input.encode()))

    def sign(self, data: bytes) -> bytes:
        """The JWS signature of ``data``: PKCS#1 v1.5 for RS256, raw r||s for ES256."""
        signature = _openssl("dgst", "-sha256", "-sign", str(self.key_path), stdin=data)
        if self.algorithm == "ES256":
            return ecdsa_der_to_raw(signature, _P256_SIZE)
        return signature


def load_or_create(directory: Path) -> RegistrySigner:
    """The signer kept in ``directory`` (cert.pem + key.pem), made there when missing. An
    existing key is reused (and its certificate, if it still matches); the key file is
    kept owner-only."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = directory / KEY_FILE
    cert_path = directory / CERT_FILE
    if not key_path.exists():
        new_key = _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        _write_private(key_path, new_key)
        cert_path.unlink(missing_ok=True)  # a certificate of some other key is useless now
    os.chmod(key_path, 0o600)
    key_spki = _pem_body(_openssl("pkey", "-in", str(key_path), "-pubout"), "PUBLIC KEY")
    if cert_path.exists():
        cert_spki = _pem_body(
            _openssl("x509", "-in", str(cert_path), "-noout", "-pubkey"), "PUBLIC KEY"
        )
        if cert_spki != key_spki:
            raise SigningError(
                f"{cert_path} does not belong to {key_path}; remove one of them to start afresh"
            )
    else:
        _write_public(cert_path, _self_signed_cert(key_path))
    return RegistrySigner(
        key_path=key_path,
        cert_path=cert_path,
        algorithm=_algorithm(key_spki, key_path),
        kid=libtrust_kid(key_spki),
        cert_der=_pem_body(cert_path.read_bytes(), "CERTIFICATE"),
    )


class EphemeralSigner:
    """A signer in a private temporary folder, made on first use and removed by close()."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._signer: RegistrySigner | None = None

    def get(self) -> RegistrySigner:
        if self._signer is None:
            self._dir = Path(tempfile.mkdtemp(prefix="localhub-registry-"))
            self._signer = load_or_create(self._dir)
        return self._signer

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = self._signer = None


def libtrust_kid(spki_der: bytes) -> str:
    """docker/libtrust's key ID: SHA-256 of the DER public key, first 240 bits, base32 in
    twelve colon-separated groups of four."""
    encoded = base64.b32encode(hashlib.sha256(spki_der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def ecdsa_der_to_raw(der: bytes, size: int) -> bytes:
    """An ECDSA signature from DER ``SEQUENCE {INTEGER r, INTEGER s}`` to JOSE's r||s."""
    if len(der) < 8 or der[0] != 0x30:
        raise SigningError("openssl returned a malformed ECDSA signature")
    offset = 3 if der[1] == 0x81 else 2  # long-form length: only for P-521
    parts: list[bytes] = []
    for _ in range(2):
        if der[offset] != 0x02:
            raise SigningError("openssl returned a malformed ECDSA signature")
        length = der[offset + 1]
        value = der[offset + 2 : offset + 2 + length].lstrip(b"\0")
        if len(value) > size:
            raise SigningError("openssl returned a malformed ECDSA signature")
        parts.append(value.rjust(size, b"\0"))
        offset += 2 + length
    return parts[0] + parts[1]


def _algorithm(spki_der: bytes, key_path: Path) -> str:
    algorithm_id = spki_der[:32]  # the AlgorithmIdentifier, never the key bits
    if _RSA_OID in algorithm_id:
        return "RS256"
    if _EC_OID in algorithm_id and _P256_OID in algorithm_id:
        return "ES256"
    raise SigningError(f"{key_path}: only RSA and P-256 keys can sign registry tokens")


def _self_signed_cert(key_path: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="localhub-req-") as scratch:
        config = Path(scratch) / "req.cnf"
        config.write_text(_REQ_CONFIG)
        return _openssl(
            "req", "-x509", "-new", "-sha256", "-days", str(CERT_DAYS),
            "-key", str(key_path), "-config", str(config),
        )  # fmt: skip


def _openssl(*args: str, stdin: bytes = b"") -> bytes:
    command = shutil.which("openssl")
    if command is None:
        raise SigningError("registry tokens need the openssl command, which is not on PATH")
    try:
        done = subprocess.run(
            [command, *args], input=stdin, capture_output=True, timeout=_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningError(f"openssl {args[0]} did not run: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise SigningError(f"openssl {args[0]} failed: {detail[0] if detail else done.returncode}")
    return done.stdout


def _pem_body(pem: bytes, label: str) -> bytes:
    """The DER inside the first ``-----BEGIN <label>-----`` block."""
    begin, end = f"-----BEGIN {label}-----".encode(), f"-----END {label}-----".encode()
    start = pem.find(begin)
    stop = pem.find(end, start)
    if start < 0 or stop < 0:
        raise SigningError(f"expected a PEM {label}")
    return base64.b64decode(b"".join(pem[start + len(begin) : stop].split()))


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
