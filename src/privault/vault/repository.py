"""Queries on encrypted records. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from privault.crypto.models import SubjectKey
from privault.vault.models import Record


def insert_many(*, db_session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert record rows in one executemany."""
    if rows:
        db_session.execute(insert(Record), list(rows))


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
