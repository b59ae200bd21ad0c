"""Pure rules of retained fields: the associated data that binds keys and values to their place.
No session, no I/O."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

RETENTION_LABEL = "retention"
KEY_ID_BYTES = 16


def new_retention_key_id() -> str:
    """A fresh random id for a retention key (hex; its last 4 bytes tag each ciphertext)."""
    return secrets.token_hex(KEY_ID_BYTES)


def instant(moment: datetime) -> str:
    """A time as bound into associated data: ISO 8601 in UTC, microseconds kept."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def wrap_context(*, region: str, erasure_id: str, key_id: str) -> bytes:
    """Associated data of a wrapped retention key: region, "retention", erasure and key id.

    Distinct from a customer key's (``privault/subject-key/v1``), so neither kind of wrapped
    key can be passed off as the other.
    """
    return "\x00".join(
        ("privault/retention-key/v1", region, RETENTION_LABEL, erasure_id, key_id)
    ).encode()


def value_context(
    *,
    retained_id: str,
    erasure_id: str,
    subject_pseudonym: str,
    collection: str,
    record_id: str,
    field: str,
    legal_basis: str,
    reason: str,
    retained_at: datetime,
    retain_until: datetime,
) -> bytes:
    """Associated data of a retained value: every column of its row, as a JSON array (an
    unambiguous encoding whatever the reason text holds)."""
    parts = [
        "privault/retained-field/v1",
        retained_id,
        erasure_id,
        subject_pseudonym,
        collection,
        record_id,
        field,
        legal_basis,
        reason,
        instant(retained_at),
        instant(retain_until),
    ]
    return json.dumps(parts, ensure_ascii=True, separators=(",", ":")).encode()
