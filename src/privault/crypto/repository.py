"""Queries on wrapped customer keys. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from privault.crypto.models import SubjectKey
from privault.db.bulk import insert_rows

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


KEY_COLUMNS = ("subject_id", "region", "key_id", "master_key_id", "wrapped_key")


def insert_missing(
    *, db_session: Session, rows: Sequence[tuple[str, str, str, int, bytes]], at: datetime
) -> bool:
    """Insert key rows (ordered as KEY_COLUMNS), skipping customers another writer created
    first. Returns True when every row went in, False when some may have been skipped."""
    table = SubjectKey.__table__
    if not isinstance(table, Table):
        raise TypeError("subject_keys is not a Table")
    inserted = insert_rows(
        db_session,
        table,
        rows,
        columns=KEY_COLUMNS,
        constants={"created_at": at, "rewrapped_at": None},
        skip_conflicts_on=["subject_id"],
    )
    return inserted == len(rows)


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


def replace_wrapped_keys(
    *,
    db_session: Session,
    changes: Sequence[tuple[str, bytes, bytes, int]],
    at: datetime,
) -> int:
    """Compare-and-set wrapped keys in one executemany: (customer id, old wrapped key, new
    wrapped key, master version). A row that changed or went meanwhile (erased, rewrapped by
    a concurrent run) is left alone. Returns how many rows changed."""
    if not changes:
        return 0
    table = SubjectKey.__table__
    if not isinstance(table, Table):
        raise TypeError("subject_keys is not a Table")
    stmt = (
        update(table)
        .where(
            table.c.subject_id == bindparam("b_subject"),
            table.c.wrapped_key == bindparam("b_old"),
        )
        .values(
            wrapped_key=bindparam("b_new"),
            master_key_id=bindparam("b_version"),
            rewrapped_at=bindparam("b_at"),
        )
    )
    params = [
        {"b_subject": subject, "b_old": old, "b_new": new, "b_version": version, "b_at": at}
        for subject, old, new, version in changes
    ]
    result = db_session.connection().execute(stmt, params)
    return int(result.rowcount)
