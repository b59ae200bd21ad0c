"""What the retention sweep needs of stored records: list them by age, drop fields, delete them.

A record's last update by a writer (``updated_at``) anchors its collection's retention; its
creation (``created_at``) anchors field retention, per-field write times not being kept. Records
are paged in creation order, which serves both: a record is never updated before it is
created. Dropping expired fields does not count as an update. Nothing here decrypts: each field
is its own ciphertext, so dropping one only rewrites the record's field map. Flushes, never
commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from privault.errors import IntegrityViolation
from privault.vault import repository
from privault.vault.models import Record
from privault.vault.rules import pack_fields, unpack_fields

__all__ = ["AgingRecord", "aging_records", "delete_record", "drop_fields"]


@dataclass(frozen=True, slots=True)
class AgingRecord:
    """A stored record as the sweep sees it: when it was made and which fields it holds."""

    id: str
    collection: str
    subject_id: str
    created_at: datetime
    updated_at: datetime
    version: int
    fields: tuple[str, ...]

    @property
    def key(self) -> tuple[datetime, str]:
        """Its place in creation order (the sweep pages by it)."""
        return (self.created_at, self.id)


def _names(record_id: str, packed: bytes) -> tuple[str, ...]:
    try:
        return tuple(unpack_fields(bytes(packed)))
    except ValueError as exc:
        raise IntegrityViolation(
            f"record {record_id} has a corrupt field map ({exc})", code="record_corrupt"
        ) from exc


def aging_records(
    *,
    db_session: Session,
    collection: str,
    created_before: datetime,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[AgingRecord]:
    """Records of ``collection`` created at or before ``created_before``, oldest first, from
    after the key ``after`` (exclusive); at most ``limit``."""
    query = select(
        Record.id,
        Record.collection,
        Record.subject_id,
        Record.created_at,
        Record.updated_at,
        Record.version,
        Record.fields,
    ).where(Record.collection == collection, Record.created_at <= created_before)
    if after is not None:
        # Spelt out rather than a row-value comparison so SQLite and PostgreSQL plan it alike
        # on the (collection, created_at) index.
        query = query.where(
            or_(
                Record.created_at > after[0],
                and_(Record.created_at == after[0], Record.id > after[1]),
            )
        )
    rows = db_session.execute(query.order_by(Record.created_at, Record.id).limit(limit))
    return [
        AgingRecord(row[0], row[1], row[2], row[3], row[4], row[5], _names(row[0], row[6]))
        for row in rows
    ]


def delete_record(*, db_session: Session, collection: str, record_id: str) -> bool:
    """Delete a record with its lookups (pointer tokens stop resolving); False if gone."""
    return repository.delete_one(db_session=db_session, collection=collection, record_id=record_id)


def drop_fields(
    *,
    db_session: Session,
    record_id: str,
    fields: Sequence[str],
    expected_version: int,
) -> bool:
    """Remove fields' ciphertexts, stored tokens and lookups from a record.

    The version moves on (a writer holding the old one is refused) but ``updated_at`` does not:
    retention removing a field is not an update that would restart the record's retention.

    Returns False, changing nothing, when the record is gone or no longer at
    ``expected_version`` (another writer changed it since the sweep read it). The record must
    keep at least one field: delete it instead.
    """
    row = db_session.execute(
        select(Record.fields, Record.tokens).where(
            Record.id == record_id, Record.version == expected_version
        )
    ).first()
    if row is None:
        return False
    stored = unpack_fields(bytes(row[0]))
    kept = {name: value for name, value in stored.items() if name not in fields}
    if not kept:
        raise ValueError("drop_fields would leave the record empty; delete it instead")
    tokens: dict[str, str] = json.loads(row[1]) if row[1] else {}
    for name in fields:
        tokens.pop(name, None)
    result = db_session.execute(
        update(Record)
        .where(Record.id == record_id, Record.version == expected_version)
        .values(
            fields=pack_fields(kept),
            tokens=json.dumps(tokens, separators=(",", ":")) if tokens else None,
            version=expected_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    repository.delete_lookups(db_session=db_session, record_id=record_id, fields=list(fields))
    return True
