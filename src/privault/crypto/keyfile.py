"""Key files on disk: a JSON envelope whose secret payload is sealed by a key-encryption key.

Three protections, chosen by settings:

- ``none``: the payload is stored as is; the file is mode 0600 (development, or disks that are
  encrypted and access-controlled by other means);
- ``passphrase``: scrypt (n=2^15, r=8, p=1) derives a 256-bit key from the passphrase; the payload
  is sealed with AES-256-GCM;
- ``kms``: a Tink KMS AEAD (``gcp-kms://``, ``aws-kms://``, ``hcvault://``; any client registered
  with ``tink.register_kms_client``) seals the payload.

The header (kind, region, protection parameters) and the non-secret metadata are bound to the
sealed payload as associated data, so a file cannot be swapped for another region's or have its
metadata edited without the open failing.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tink
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from privault.errors import IntegrityViolation, InvalidInput, NotFound, Unavailable

FORMAT = "privault-keyfile/1"
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1


@dataclass(frozen=True)
class KeyProtection:
    """How key files are sealed: ``none``, a passphrase, or a KMS key URI."""

    passphrase: bytes | None = None
    kms_key_uri: str | None = None

    @property
    def kind(self) -> str:
        """``none``, ``passphrase`` or ``kms``."""
        if self.kms_key_uri:
            return "kms"
        if self.passphrase:
            return "passphrase"
        return "none"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _aad(header: dict[str, Any], meta: dict[str, Any]) -> bytes:
    return json.dumps({"header": header, "meta": meta}, sort_keys=True).encode()


def _kms_aead(uri: str) -> Any:
    try:
        return tink.kms_client_from_uri(uri).get_aead(uri)
    except tink.TinkError as exc:
        raise Unavailable(
            "no Tink KMS client for the configured key URI; install and register one",
            code="kms_unavailable",
        ) from exc


def _scrypt_key(passphrase: bytes, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(passphrase)


def write_keyfile(
    path: Path,
    *,
    kind: str,
    region: str | None,
    payload: bytes,
    meta: dict[str, Any],
    protection: KeyProtection,
) -> None:
    """Seal ``payload`` and write the key file atomically with mode 0600."""
    header: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "region": region,
        "protection": protection.kind,
    }
    if protection.kind == "passphrase" and protection.passphrase is not None:
        salt = os.urandom(16)
        header["scrypt"] = {"salt": _b64(salt), "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P}
        nonce = os.urandom(12)
        key = _scrypt_key(protection.passphrase, salt)
        sealed = nonce + AESGCM(key).encrypt(nonce, payload, _aad(header, meta))
    elif protection.kind == "kms" and protection.kms_key_uri is not None:
        header["kms_key_uri"] = protection.kms_key_uri
        sealed = _kms_aead(protection.kms_key_uri).encrypt(payload, _aad(header, meta))
    else:
        sealed = payload
    document = {**header, "meta": meta, "payload": _b64(sealed)}
    _atomic_write(path, json.dumps(document, indent=2, sort_keys=True).encode() + b"\n")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class KeyFile:
    """An opened key file: its secret payload and its metadata."""

    kind: str
    region: str | None
    payload: bytes
    meta: dict[str, Any]


def read_keyfile(path: Path, *, kind: str, protection: KeyProtection) -> KeyFile:
    """Open a key file, checking its kind and protection and authenticating its payload."""
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise NotFound(f"key file {path.name} not found; run `privault init`") from exc
    except (OSError, ValueError) as exc:
        raise IntegrityViolation(f"key file {path.name} is unreadable") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IntegrityViolation(f"key file {path.name} has an unknown format")
    if document.get("kind") != kind:
        raise IntegrityViolation(f"key file {path.name} is not a {kind} key file")
    header = {key: document[key] for key in ("format", "kind", "region", "protection")}
    meta = document.get("meta", {})
    try:
        sealed = _unb64(document["payload"])
    except (KeyError, ValueError, TypeError) as exc:
        raise IntegrityViolation(f"key file {path.name} has a malformed payload") from exc
    stored = document["protection"]
    if stored != protection.kind:
        raise InvalidInput(
            f"key file {path.name} is protected by '{stored}' but settings give "
            f"'{protection.kind}' (set PRIVAULT_KEYS__PASSPHRASE or PRIVAULT_KEYS__KMS_KEY_URI)",
            code="key_protection_mismatch",
        )
    if stored == "passphrase" and protection.passphrase is not None:
        params = document.get("scrypt", {})
        header["scrypt"] = params
        try:
            key = _scrypt_key(protection.passphrase, _unb64(params["salt"]))
            payload = AESGCM(key).decrypt(sealed[:12], sealed[12:], _aad(header, meta))
        except (InvalidTag, KeyError, ValueError) as exc:
            raise IntegrityViolation(
                f"key file {path.name}: wrong passphrase or the file was altered",
                code="key_file_unsealable",
            ) from exc
    elif stored == "kms":
        header["kms_key_uri"] = document.get("kms_key_uri")
        try:
            payload = _kms_aead(str(header["kms_key_uri"])).decrypt(sealed, _aad(header, meta))
        except tink.TinkError as exc:
            raise IntegrityViolation(
                f"key file {path.name}: KMS refused to open it or the file was altered",
                code="key_file_unsealable",
            ) from exc
    else:
        payload = sealed
    return KeyFile(kind=kind, region=document.get("region"), payload=payload, meta=meta)
