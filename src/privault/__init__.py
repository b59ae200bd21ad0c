"""privault: customer-data privacy and security platform for online shops.

The public library API::

    from privault import Settings, Vault

    with Vault.open(Settings()) as vault:
        stored = vault.put("customers", "C-1001", {"email": "ada@example.com"})

Names are imported on first use, so ``import privault.dlp`` (say, in a logging filter) does
not load the database and key machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "privault.config",
    "Vault": "privault.vault",
    "RecordCreate": "privault.vault",
    "RecordRead": "privault.vault",
    "StoredRecord": "privault.vault",
    "SubjectExport": "privault.vault",
    "ErasureReceipt": "privault.vault",
    "DataMap": "privault.datamap",
    "load_datamap": "privault.datamap",
    "PrivaultError": "privault.errors",
    "NotFound": "privault.errors",
    "Conflict": "privault.errors",
    "InvalidInput": "privault.errors",
    "PermissionDenied": "privault.errors",
    "Unauthenticated": "privault.errors",
    "Unavailable": "privault.errors",
    "IntegrityViolation": "privault.errors",
}

__all__ = [
    "Conflict",
    "DataMap",
    "ErasureReceipt",
    "IntegrityViolation",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "PrivaultError",
    "RecordCreate",
    "RecordRead",
    "Settings",
    "StoredRecord",
    "SubjectExport",
    "Unauthenticated",
    "Unavailable",
    "Vault",
    "__version__",
    "load_datamap",
]

if TYPE_CHECKING:
    from privault.config import Settings
    from privault.datamap import DataMap, load_datamap
    from privault.errors import (
        Conflict,
        IntegrityViolation,
        InvalidInput,
        NotFound,
        PermissionDenied,
        PrivaultError,
        Unauthenticated,
        Unavailable,
    )
    from privault.vault import (
        ErasureReceipt,
        RecordCreate,
        RecordRead,
        StoredRecord,
        SubjectExport,
        Vault,
    )


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privault' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
