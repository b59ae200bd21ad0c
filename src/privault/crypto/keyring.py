"""Master keys: one Tink AEAD keyset (AES-256-GCM) per region, with versions.

A keyset holds every version of the region's master key; the primary version wraps new
customer keys and every version still in the keyset unwraps. Tink prefixes each ciphertext with
its key id (``0x01`` + 4-byte id), so a wrapped key names the version that wrapped it.

Rotation writes a new keyset file (atomic rename). A running process notices the new file at
its next ``reload_interval_s`` check, or at once when it meets a ciphertext under a key id it
does not hold yet, so ``privault keys rotate`` never needs the server to stop.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import tink
from tink import aead, secret_key_access
from tink.proto import tink_pb2

from privault.common.clock import utcnow
from privault.crypto.keyfile import KeyProtection, read_keyfile, write_keyfile
from privault.errors import Conflict, IntegrityViolation, InvalidInput, NotFound

aead.register()

_KIND = "master"
_TEMPLATE = aead.aead_key_templates.AES256_GCM
_TINK_PREFIX = 5


def master_key_path(keys_dir: Path, region: str) -> Path:
    """Where a region's master keyset lives."""
    return keys_dir / f"master-{region}.json"


def tink_key_id(ciphertext: bytes) -> int:
    """The master key version named by a Tink ciphertext's prefix."""
    if len(ciphertext) < _TINK_PREFIX or ciphertext[0] != 0x01:
        raise IntegrityViolation("wrapped key has no Tink key-id prefix", code="bad_wrapped_key")
    return int.from_bytes(ciphertext[1:_TINK_PREFIX], "big")


@dataclass(frozen=True)
class MasterKeyVersion:
    """One version of a region's master key, as shown by ``privault keys status``."""

    region: str
    key_id: int
    created_at: datetime
    primary: bool
    enabled: bool


class _RegionKeyset:
    """A loaded keyset with the metadata kept beside it."""

    def __init__(self, handle: tink.KeysetHandle, meta: dict[str, Any], mtime: float) -> None:
        self.handle = handle
        self.meta = meta
        self.mtime = mtime
        self.primitive: aead.Aead = handle.primitive(aead.Aead)
        keyset = self.keyset()
        self.key_ids = {key.key_id for key in keyset.key if key.status == tink_pb2.ENABLED}
        self.primary_id = keyset.primary_key_id

    def keyset(self) -> tink_pb2.Keyset:
        serialized = tink.proto_keyset_format.serialize(self.handle, secret_key_access.TOKEN)
        return tink_pb2.Keyset.FromString(serialized)


class MasterKeyring:
    """Every region's master keyset, reloaded when another process rotates it."""

    def __init__(
        self, keys_dir: Path, protection: KeyProtection, *, reload_interval_s: float = 1.0
    ) -> None:
        self.keys_dir = keys_dir
        self.protection = protection
        self.reload_interval_s = reload_interval_s
        self._lock = threading.Lock()
        self._regions: dict[str, _RegionKeyset] = {}
        self._checked_at: dict[str, float] = {}

    # -- creation and loading -------------------------------------------------------------

    @classmethod
    def create(cls, keys_dir: Path, regions: list[str], protection: KeyProtection) -> MasterKeyring:
        """Create a keyset for each region; refuse if any master key file already exists."""
        existing = [r for r in regions if master_key_path(keys_dir, r).exists()]
        if existing:
            raise Conflict(
                f"master key for region(s) {', '.join(existing)} already exists; refusing to "
                "overwrite keys",
                code="keys_exist",
            )
        ring = cls(keys_dir, protection)
        for region in regions:
            ring.add_region(region)
        return ring

    def add_region(self, region: str) -> None:
        """Create the master keyset of a region that has none yet."""
        path = master_key_path(self.keys_dir, region)
        if path.exists():
            raise Conflict(f"master key for region {region} already exists", code="keys_exist")
        handle = tink.new_keyset_handle(_TEMPLATE)
        keyset = tink_pb2.Keyset.FromString(
            tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
        )
        meta = {"versions": {str(keyset.primary_key_id): {"created_at": utcnow().isoformat()}}}
        self._write(region, keyset, meta)

    def _write(self, region: str, keyset: tink_pb2.Keyset, meta: dict[str, Any]) -> None:
        write_keyfile(
            master_key_path(self.keys_dir, region),
            kind=_KIND,
            region=region,
            payload=keyset.SerializeToString(),
            meta=meta,
            protection=self.protection,
        )
        with self._lock:
            self._regions.pop(region, None)

    def _load(self, region: str) -> _RegionKeyset:
        path = master_key_path(self.keys_dir, region)
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError as exc:
            raise NotFound(
                f"no master key for region '{region}'; run `privault init`",
                code="no_master_key",
                region=region,
            ) from exc
        keyfile = read_keyfile(path, kind=_KIND, protection=self.protection)
        if keyfile.region != region:
            raise IntegrityViolation(f"key file {path.name} belongs to another region")
        try:
            handle = tink.proto_keyset_format.parse(keyfile.payload, secret_key_access.TOKEN)
        except tink.TinkError as exc:
            raise IntegrityViolation(f"key file {path.name} holds no valid keyset") from exc
        return _RegionKeyset(handle, keyfile.meta, float(mtime))

    def _get(self, region: str, *, force_check: bool = False) -> _RegionKeyset:
        now = time.monotonic()
        with self._lock:
            loaded = self._regions.get(region)
            due = now - self._checked_at.get(region, 0.0) >= self.reload_interval_s
        if loaded is not None and not (force_check or due):
            return loaded
        if loaded is not None:
            try:
                mtime = master_key_path(self.keys_dir, region).stat().st_mtime_ns
            except FileNotFoundError:
                mtime = -1
            if float(mtime) == loaded.mtime:
                with self._lock:
                    self._checked_at[region] = now
                return loaded
        fresh = self._load(region)
        with self._lock:
            self._regions[region] = fresh
            self._checked_at[region] = now
        return fresh

    # -- wrapping ---------------------------------------------------------------------------

    def wrap(self, region: str, plaintext: bytes, associated_data: bytes) -> tuple[bytes, int]:
        """Encrypt under the region's primary version; return the ciphertext and version."""
        keyset = self._get(region)
        ciphertext = keyset.primitive.encrypt(plaintext, associated_data)
        return ciphertext, tink_key_id(ciphertext)

    def unwrap(self, region: str, ciphertext: bytes, associated_data: bytes) -> bytes:
        """Decrypt a wrapped key, reloading once if it names a version not yet loaded."""
        key_id = tink_key_id(ciphertext)
        keyset = self._get(region)
        if key_id not in keyset.key_ids:
            keyset = self._get(region, force_check=True)
        if key_id not in keyset.key_ids:
            raise IntegrityViolation(
                "customer key is wrapped under a master key version that is not available",
                code="unknown_master_version",
                region=region,
                master_key_id=key_id,
            )
        try:
            return bytes(keyset.primitive.decrypt(ciphertext, associated_data))
        except tink.TinkError as exc:
            raise IntegrityViolation(
                "customer key failed authentication", code="wrapped_key_tampered"
            ) from exc

    # -- versions ---------------------------------------------------------------------------

    def primary_version(self, region: str) -> int:
        """The version that wraps new customer keys."""
        return int(self._get(region, force_check=True).primary_id)

    def versions(self, region: str) -> list[MasterKeyVersion]:
        """Every version of the region's master key, oldest first."""
        loaded = self._get(region, force_check=True)
        meta_versions: dict[str, Any] = loaded.meta.get("versions", {})
        result = []
        for key in loaded.keyset().key:
            created = meta_versions.get(str(key.key_id), {}).get("created_at")
            result.append(
                MasterKeyVersion(
                    region=region,
                    key_id=key.key_id,
                    created_at=datetime.fromisoformat(created) if created else utcnow(),
                    primary=key.key_id == loaded.primary_id,
                    enabled=key.status == tink_pb2.ENABLED,
                )
            )
        return sorted(result, key=lambda v: v.created_at)

    def add_version(self, region: str) -> int:
        """Add a new primary version; older versions stay able to unwrap."""
        loaded = self._get(region, force_check=True)
        keyset = loaded.keyset()
        key_data = tink.core.Registry.new_key_data(_TEMPLATE)
        used = {key.key_id for key in keyset.key}
        key_id = 0
        while key_id == 0 or key_id in used:
            key_id = secrets.randbelow(2**32 - 1) + 1
        key = keyset.key.add()
        key.key_data.CopyFrom(key_data)
        key.status = tink_pb2.ENABLED
        key.key_id = key_id
        key.output_prefix_type = _TEMPLATE.output_prefix_type
        keyset.primary_key_id = key_id
        meta = dict(loaded.meta)
        versions = dict(meta.get("versions", {}))
        versions[str(key_id)] = {"created_at": utcnow().isoformat()}
        meta["versions"] = versions
        self._write(region, keyset, meta)
        return key_id

    def remove_version(self, region: str, key_id: int) -> None:
        """Destroy a non-primary version: ciphertexts under it become unreadable."""
        loaded = self._get(region, force_check=True)
        keyset = loaded.keyset()
        if key_id == keyset.primary_key_id:
            raise InvalidInput("the primary master key version cannot be retired", code="primary")
        kept = [key for key in keyset.key if key.key_id != key_id]
        if len(kept) == len(keyset.key):
            raise NotFound(f"region {region} has no master key version {key_id}")
        del keyset.key[:]
        keyset.key.extend(kept)
        meta = dict(loaded.meta)
        versions = dict(meta.get("versions", {}))
        versions.pop(str(key_id), None)
        meta["versions"] = versions
        self._write(region, keyset, meta)
