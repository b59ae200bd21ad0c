"""Queries on encrypted records. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from privault.crypto import SubjectKey
from privault.db.bulk import PreparedSelect, insert_rows
from privault.vault.models import Record

RECORD_COLUMNS = ("id", "collection", "subject_id", "region", "fields")


def insert_many(
    *, db_session: Session, rows: Sequence[tuple[str, str, str, str, bytes]], at: datetime
) -> None:
    """Insert new records (tuples ordered as RECORD_COLUMNS), all created at ``at``."""
    table = Record.__table__
    if not isinstance(table, Table):
        raise TypeError("records is not a Table")
    insert_rows(
        db_session,
        table,
        rows,
        columns=RECORD_COLUMNS,
        constants={"version": 1, "created_at": at, "updated_at": at},
    )


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
    *, db_session: Session, record_id: str, expected_version: int, fields: bytes, at: datetime
) -> bool:
    """Store new ciphertexts if the record is still at ``expected_version``; bump the version."""
    result = db_session.execute(
        update(Record)
        .where(Record.id == record_id, Record.version == expected_version)
        .values(fields=fields, version=expected_version + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
