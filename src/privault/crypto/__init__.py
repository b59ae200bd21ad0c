"""Key hierarchy: master keys per region, a data key per customer, field AEAD, derived keys."""

from __future__ import annotations

from privault.crypto.derived import DerivedKeys
from privault.crypto.envelope import FieldCipher, field_context
from privault.crypto.keyfile import KeyProtection
from privault.crypto.keyring import MasterKeyring, MasterKeyVersion
from privault.crypto.keystore import KeyStore, NewSubjectKey, protection_from_settings
from privault.crypto.ledger import ErasureLedger

__all__ = [
    "DerivedKeys",
    "ErasureLedger",
    "FieldCipher",
    "KeyProtection",
    "KeyStore",
    "MasterKeyVersion",
    "MasterKeyring",
    "NewSubjectKey",
    "field_context",
    "protection_from_settings",
]
