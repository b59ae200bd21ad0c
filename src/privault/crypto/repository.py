"""Queries on wrapped customer keys. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from privault.crypto.models import SubjectKey

_CHUNK = 500


def get(*, db_session: Session, subject_id: str) -> SubjectKey | None:
    """The key row of one customer, if any."""
    return db_session.get(SubjectKey, subject_id)


def get_many(*, db_session: Session, subject_ids: Sequence[str]) -> dict[str, SubjectKey]:
    """Key rows of several customers, by customer id."""
    found: dict[str, SubjectKey] = {}
    for start in range(0, len(subject_ids), _CHUNK):
        chunk = subject_ids[start : start + _CHUNK]
        rows = db_session.scalars(select(SubjectKey).where(SubjectKey.subject_id.in_(chunk)))
        found.update((row.subject_id, row) for row in rows)
    return found


def insert_missing(*, db_session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert key rows, skipping customers another writer created first; return inserted ids."""
    if not rows:
        return set()
    dialect = db_session.get_bind().dialect.name
    table = SubjectKey.__table__
    if not isinstance(table, Table):
        raise TypeError("subject_keys is not a Table")
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing(index_elements=["subject_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["subject_id"])
    else:
        stmt = insert(table)
    inserted: set[str] = set()
    result = db_session.execute(stmt.returning(table.c.subject_id), list(rows))
    inserted.update(result.scalars().all())
    return inserted


def delete_subject(*, db_session: Session, subject_id: str) -> None:
    """Delete a customer's key row."""
    db_session.execute(delete(SubjectKey).where(SubjectKey.subject_id == subject_id))


def find_erased(*, db_session: Session, key_ids: frozenset[str]) -> list[str]:
    """Customer ids whose key id is among ``key_ids`` (rows a restored copy brought back)."""
    ids = sorted(key_ids)
    found: list[str] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.extend(
            db_session.scalars(select(SubjectKey.subject_id).where(SubjectKey.key_id.in_(chunk)))
        )
    return found


def count_by_master_version(*, db_session: Session, region: str) -> dict[int, int]:
    """How many customer keys each master key version of a region wraps."""
    rows = db_session.execute(
        select(SubjectKey.master_key_id, func.count())
        .where(SubjectKey.region == region)
        .group_by(SubjectKey.master_key_id)
    )
    return {int(version): int(count) for version, count in rows}


def iter_not_under(
    *, db_session: Session, region: str, master_key_id: int, batch: int
) -> Iterator[list[SubjectKey]]:
    """Batches of a region's key rows not yet wrapped by ``master_key_id`` (keyset paging)."""
    after = ""
    while True:
        rows = list(
            db_session.scalars(
                select(SubjectKey)
                .where(
                    SubjectKey.region == region,
                    SubjectKey.master_key_id != master_key_id,
                    SubjectKey.subject_id > after,
                )
                .order_by(SubjectKey.subject_id)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield rows
        after = rows[-1].subject_id


def replace_wrapped_key(
    *,
    db_session: Session,
    subject_id: str,
    old_wrapped_key: bytes,
    new_wrapped_key: bytes,
    master_key_id: int,
    at: datetime,
) -> bool:
    """Compare-and-set the wrapped key; False if the row changed or went (erased) meanwhile."""
    result = db_session.execute(
        update(SubjectKey)
        .where(SubjectKey.subject_id == subject_id, SubjectKey.wrapped_key == old_wrapped_key)
        .values(wrapped_key=new_wrapped_key, master_key_id=master_key_id, rewrapped_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
