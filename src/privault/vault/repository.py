"""Queries on encrypted records. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from privault.crypto import SubjectKey
from privault.db.bulk import insert_rows
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


def get_with_key(
    *, db_session: Session, collection: str, record_id: str
) -> tuple[Record, SubjectKey] | None:
    """A record and its customer's key row, in one query."""
    row = db_session.execute(
        select(Record, SubjectKey)
        .join(SubjectKey, SubjectKey.subject_id == Record.subject_id)
        .where(Record.id == record_id, Record.collection == collection)
    ).first()
    return None if row is None else (row[0], row[1])


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


def delete_one(*, db_session: Session, record: Record) -> None:
    """Delete one record."""
    db_session.delete(record)
    db_session.flush()
