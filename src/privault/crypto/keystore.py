"""The key store: master keyrings, the root secret and the erasure ledger in one place."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from privault.config import KeySettings
from privault.crypto.derived import DerivedKeys, root_key_path
from privault.crypto.envelope import FieldCipher, new_data_key, new_key_id
from privault.crypto.keyfile import KeyProtection, read_keyfile, write_keyfile
from privault.crypto.keyring import MasterKeyring, master_key_path
from privault.crypto.ledger import ErasureLedger
from privault.errors import Conflict, NotFound

_AUDIT_KIND = "audit-signing"


def audit_key_path(keys_dir: Path) -> Path:
    """Where the audit signing key lives."""
    return keys_dir / "audit-signing.json"


def protection_from_settings(settings: KeySettings) -> KeyProtection:
    """The key-file protection the settings ask for."""
    passphrase = settings.passphrase.get_secret_value().encode() if settings.passphrase else None
    return KeyProtection(passphrase=passphrase, kms_key_uri=settings.kms_key_uri)


def _wrap_context(region: str, key_id: str, subject_id: str) -> bytes:
    return f"privault/subject-key/v1\x00{region}\x00{key_id}\x00{subject_id}".encode()


@dataclass(frozen=True)
class NewSubjectKey:
    """A freshly made customer key: what to store, and the cipher to use right away."""

    region: str
    key_id: str
    wrapped_key: bytes
    master_key_id: int
    cipher: FieldCipher


class KeyStore:
    """Everything secret that lives in the home directory's ``keys/`` folder."""

    def __init__(
        self,
        keys_dir: Path,
        protection: KeyProtection,
        *,
        reload_interval_s: float = 1.0,
    ) -> None:
        self.keys_dir = keys_dir
        self.protection = protection
        self.masters = MasterKeyring(keys_dir, protection, reload_interval_s=reload_interval_s)
        self.derived = DerivedKeys.load(keys_dir, protection)
        self.ledger = ErasureLedger(
            keys_dir / "erasure-ledger.jsonl", reload_interval_s=reload_interval_s
        )
        self._subject_ref_key = self.derived.derive("subject-ref/v1")

    @classmethod
    def create(cls, keys_dir: Path, regions: list[str], settings: KeySettings) -> KeyStore:
        """Create every key for a new home; refuse if any key file already exists."""
        protection = protection_from_settings(settings)
        existing = [p.name for p in [root_key_path(keys_dir)] if p.exists()]
        existing += [
            master_key_path(keys_dir, r).name
            for r in regions
            if master_key_path(keys_dir, r).exists()
        ]
        if existing:
            raise Conflict(
                f"keys already exist ({', '.join(existing)}); refusing to overwrite them",
                code="keys_exist",
            )
        DerivedKeys.create(keys_dir, protection)
        MasterKeyring.create(keys_dir, regions, protection)
        store = cls(keys_dir, protection, reload_interval_s=settings.reload_interval_s)
        store.create_audit_signing_key()
        return store

    @classmethod
    def open(cls, keys_dir: Path, settings: KeySettings) -> KeyStore:
        """Open the key store of an initialised home."""
        return cls(
            keys_dir,
            protection_from_settings(settings),
            reload_interval_s=settings.reload_interval_s,
        )

    def audit_signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs audit checkpoints (and erasure certificates)."""
        path = audit_key_path(self.keys_dir)
        if not path.exists():
            raise NotFound(
                "no audit signing key; run `privault init --exist-ok` to add one",
                code="no_audit_key",
            )
        keyfile = read_keyfile(path, kind=_AUDIT_KIND, protection=self.protection)
        return Ed25519PrivateKey.from_private_bytes(keyfile.payload)

    def create_audit_signing_key(self) -> bool:
        """Make the audit signing key if there is none; True if one was made."""
        path = audit_key_path(self.keys_dir)
        if path.exists():
            return False
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        write_keyfile(
            path, kind=_AUDIT_KIND, region=None, payload=raw, meta={}, protection=self.protection
        )
        public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        (self.keys_dir.parent / "audit-public.pem").write_bytes(public)
        return True

    def subject_ref(self, subject_id: str) -> str:
        """A keyed, stable reference to a customer id that reveals nothing about it."""
        mac = hmac.new(self._subject_ref_key, subject_id.encode(), hashlib.sha256)
        return mac.hexdigest()

    def new_subject_key(self, *, region: str, subject_id: str) -> NewSubjectKey:
        """Make and wrap a data key for a new customer."""
        key_id = new_key_id()
        data_key = new_data_key()
        wrapped, master_key_id = self.masters.wrap(
            region, data_key, _wrap_context(region, key_id, subject_id)
        )
        return NewSubjectKey(region, key_id, wrapped, master_key_id, FieldCipher(data_key, key_id))

    def open_subject_key(
        self, *, region: str, subject_id: str, key_id: str, wrapped_key: bytes
    ) -> FieldCipher:
        """Unwrap a customer's data key; refuse a key recorded as erased."""
        if self.ledger.is_erased(key_id):
            raise NotFound("customer was erased", code="erased")
        data_key = self.masters.unwrap(
            region, wrapped_key, _wrap_context(region, key_id, subject_id)
        )
        return FieldCipher(data_key, key_id)

    def rewrap_subject_key(
        self, *, region: str, subject_id: str, key_id: str, wrapped_key: bytes
    ) -> tuple[bytes, int]:
        """Re-encrypt a customer key under the region's current primary master version."""
        context = _wrap_context(region, key_id, subject_id)
        data_key = self.masters.unwrap(region, wrapped_key, context)
        return self.masters.wrap(region, data_key, context)
