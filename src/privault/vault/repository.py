"""Queries on encrypted records. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from privault.crypto import SubjectKey
from privault.db.bulk import PreparedSelect, insert_rows
from privault.vault.models import Lookup, Record

RECORD_COLUMNS = ("id", "collection", "subject_id", "region", "fields", "tokens")
LOOKUP_COLUMNS = ("record_id", "field", "kind", "collection", "digest")
# Most records one lookup returns (a deterministic token or a searched value).
MAX_HITS = 1000


def _table(model: type[Record] | type[Lookup]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a Table")
    return table


def insert_many(
    *,
    db_session: Session,
    rows: Sequence[tuple[str, str, str, str, bytes, str | None]],
    at: datetime,
) -> None:
    """Insert new records (tuples ordered as RECORD_COLUMNS), all created at ``at``."""
    insert_rows(
        db_session,
        _table(Record),
        rows,
        columns=RECORD_COLUMNS,
        constants={"version": 1, "created_at": at, "updated_at": at},
    )


def insert_lookups(
    *, db_session: Session, rows: Sequence[tuple[str, str, str, str, bytes]]
) -> None:
    """Insert lookup rows (tuples ordered as LOOKUP_COLUMNS)."""
    insert_rows(db_session, _table(Lookup), rows, columns=LOOKUP_COLUMNS)


def delete_lookups(*, db_session: Session, record_id: str, fields: Sequence[str]) -> None:
    """Delete the lookups of some fields of a record."""
    if fields:
        db_session.execute(
            delete(Lookup)
            .where(Lookup.record_id == record_id, Lookup.field.in_(list(fields)))
            .execution_options(synchronize_session=False)
        )


def existing_digests(*, db_session: Session, kind: str, digests: Sequence[bytes]) -> set[bytes]:
    """Which of ``digests`` are already stored under ``kind``."""
    found: set[bytes] = set()
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        found.update(
            bytes(d)
            for d in db_session.scalars(
                select(Lookup.digest).where(Lookup.kind == kind, Lookup.digest.in_(chunk))
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class LookupHit:
    """A record found through a lookup digest."""

    record_id: str
    collection: str
    field: str
    subject_id: str
    region: str
    tokens: str | None


_lookups = Lookup.__table__
_records_t = Record.__table__
_FIND = PreparedSelect(
    select(
        _lookups.c.record_id,
        _lookups.c.collection,
        _lookups.c.field,
        _records_t.c.subject_id,
        _records_t.c.region,
        _records_t.c.tokens,
    )
    .join(_records_t, _records_t.c.id == _lookups.c.record_id)
    .where(_lookups.c.kind == bindparam("kind"), _lookups.c.digest == bindparam("digest"))
    .order_by(_lookups.c.record_id)
)


def find_by_digest(*, db_session: Session, kind: str, digest: bytes) -> list[LookupHit]:
    """Records holding ``digest`` under ``kind`` (any collection and field), oldest first,
    at most MAX_HITS."""
    rows = _FIND.all(db_session, limit=MAX_HITS, kind=kind, digest=digest)
    return [LookupHit(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A stored record and its customer's key row, as read on the hot path (no ORM objects)."""

    id: str
    collection: str
    subject_id: str
    region: str
    fields: bytes
    version: int
    created_at: datetime
    updated_at: datetime
    tokens: str | None
    key_region: str
    key_id: str
    wrapped_key: bytes


_records = Record.__table__
_keys = SubjectKey.__table__
_GET_WITH_KEY = PreparedSelect(
    select(
        _records.c.id,
        _records.c.collection,
        _records.c.subject_id,
        _records.c.region,
        _records.c.fields,
        _records.c.version,
        _records.c.created_at,
        _records.c.updated_at,
        _records.c.tokens,
        _keys.c.region,
        _keys.c.key_id,
        _keys.c.wrapped_key,
    )
    .join(_keys, _keys.c.subject_id == _records.c.subject_id)
    .where(_records.c.id == bindparam("id"), _records.c.collection == bindparam("collection"))
)


def get_with_key(*, db_session: Session, collection: str, record_id: str) -> RecordRow | None:
    """A record and its customer's key, in one query."""
    row = _GET_WITH_KEY.first(db_session, id=record_id, collection=collection)
    return None if row is None else RecordRow(*row)


def list_for_subject(*, db_session: Session, subject_id: str) -> list[Record]:
    """Every record of a customer, oldest first."""
    return list(
        db_session.scalars(
            select(Record)
            .where(Record.subject_id == subject_id)
            .order_by(Record.created_at, Record.id)
        )
    )


def delete_for_subject(*, db_session: Session, subject_id: str) -> int:
    """Delete every record of a customer; return how many went."""
    result = db_session.execute(
        delete(Record)
        .where(Record.subject_id == subject_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def delete_one(*, db_session: Session, collection: str, record_id: str) -> bool:
    """Delete one record; False if there was none."""
    result = db_session.execute(
        delete(Record)
        .where(Record.id == record_id, Record.collection == collection)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def replace_fields(
    *,
    db_session: Session,
    record_id: str,
    expected_version: int,
    fields: bytes,
    tokens: str | None,
    at: datetime,
) -> bool:
    """Store new ciphertexts and tokens if the record is still at ``expected_version``."""
    result = db_session.execute(
        update(Record)
        .where(Record.id == record_id, Record.version == expected_version)
        .values(fields=fields, tokens=tokens, version=expected_version + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
