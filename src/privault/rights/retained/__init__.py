"""Retained fields: what an erasure keeps because the law requires it (e.g. invoice data).

Kept under a retention key per erasure (wrapped by the region's master keyset), named by the
customer's audit pseudonym, never by their id; readable only through the operator's
``privault retained show --reveal`` (audited); purged when their retention ends.
"""

from __future__ import annotations

from privault.rights.retained.models import RetainedValue, RetentionKey
from privault.rights.retained.schemas import RetainedFieldRead
from privault.rights.retained.service import (
    FieldFacts,
    get_retained,
    list_retained,
    purge_expired_retained,
    retain_fields,
    retained_purger,
    retention_key_versions,
    reveal_retained,
    rewrap_retention_keys,
)

__all__ = [
    "FieldFacts",
    "RetainedFieldRead",
    "RetainedValue",
    "RetentionKey",
    "get_retained",
    "list_retained",
    "purge_expired_retained",
    "retain_fields",
    "retained_purger",
    "retention_key_versions",
    "reveal_retained",
    "rewrap_retention_keys",
]
