"""The vault: customer records encrypted per field under per-customer keys."""

from __future__ import annotations

from privault.vault import expiry, masking
from privault.vault.schemas import (
    ErasureReceipt,
    RecordCreate,
    RecordRead,
    StoredRecord,
    SubjectExport,
    TokenMatch,
)
from privault.vault.service import RecordService
from privault.vault.vault import Vault

__all__ = [
    "ErasureReceipt",
    "RecordCreate",
    "RecordRead",
    "RecordService",
    "StoredRecord",
    "SubjectExport",
    "TokenMatch",
    "Vault",
    "expiry",
    "masking",
]
