"""Key hierarchy: master keys per region, a data key per customer, field AEAD, derived keys."""

from __future__ import annotations

from privault.crypto import repository as subject_keys
from privault.crypto.blind_index import (
    BlindIndexer,
    check_field_type,
    check_root_key,
    derive_field_key,
    normalise,
)
from privault.crypto.derived import DerivedKeys, root_key_path
from privault.crypto.envelope import FieldCipher, field_context, field_context_format
from privault.crypto.keyfile import KeyProtection
from privault.crypto.keyring import MasterKeyring, MasterKeyVersion
from privault.crypto.keystore import (
    KeyStore,
    NewSubjectKey,
    audit_key_path,
    protection_from_settings,
)
from privault.crypto.ledger import ErasureLedger
from privault.crypto.models import SubjectKey

__all__ = [
    "BlindIndexer",
    "DerivedKeys",
    "ErasureLedger",
    "FieldCipher",
    "KeyProtection",
    "KeyStore",
    "MasterKeyVersion",
    "MasterKeyring",
    "NewSubjectKey",
    "SubjectKey",
    "audit_key_path",
    "check_field_type",
    "check_root_key",
    "derive_field_key",
    "field_context",
    "field_context_format",
    "normalise",
    "protection_from_settings",
    "root_key_path",
    "subject_keys",
]
