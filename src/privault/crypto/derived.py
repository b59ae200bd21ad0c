"""The root secret and the keys derived from it for one purpose each.

Blind indexes, deterministic tokens and audit pseudonyms each need a keyed function. They all
derive from one 256-bit root secret with HKDF-SHA256 under distinct labels, so no two purposes
ever share a key and only one extra secret needs protecting and backing up.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privault.crypto.keyfile import KeyProtection, read_keyfile, write_keyfile
from privault.errors import Conflict, IntegrityViolation

_KIND = "root"


def root_key_path(keys_dir: Path) -> Path:
    """Where the root secret lives."""
    return keys_dir / "root.json"


class DerivedKeys:
    """Derives purpose keys from the root secret."""

    def __init__(self, root_secret: bytes) -> None:
        if len(root_secret) != 32:
            raise IntegrityViolation("root secret has the wrong length")
        self._root = root_secret

    @classmethod
    def create(cls, keys_dir: Path, protection: KeyProtection) -> DerivedKeys:
        """Generate and store a new root secret; refuse to overwrite one."""
        path = root_key_path(keys_dir)
        if path.exists():
            raise Conflict("root key already exists; refusing to overwrite keys", code="keys_exist")
        secret = os.urandom(32)
        write_keyfile(path, kind=_KIND, region=None, payload=secret, meta={}, protection=protection)
        return cls(secret)

    @classmethod
    def load(cls, keys_dir: Path, protection: KeyProtection) -> DerivedKeys:
        """Open the stored root secret."""
        return cls(read_keyfile(root_key_path(keys_dir), kind=_KIND, protection=protection).payload)

    def derive(self, label: str, length: int = 32) -> bytes:
        """A key for one purpose, e.g. ``blind-index/v1`` or ``audit-pseudonym/v1``."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode())
        return hkdf.derive(self._root)
