"""Use cases of the vault: store, read, update, delete records; tokens and search; export and
erase customers."""

from __future__ import annotations

from privault.vault.service.base import StoredFields
from privault.vault.service.records import RecordService

__all__ = ["RecordService", "StoredFields"]
