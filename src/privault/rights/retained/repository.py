"""Queries of retained fields and retention keys (flush, never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from privault.rights.retained.models import RetainedValue, RetentionKey

# Keeps IN lists well under every driver's bound-parameter limit.
CHUNK = 500


def add_key(*, db_session: Session, row: RetentionKey) -> None:
    """Insert a retention key."""
    db_session.add(row)
    db_session.flush()


def add_values(*, db_session: Session, rows: Sequence[RetainedValue]) -> None:
    """Insert retained values."""
    db_session.add_all(rows)
    db_session.flush()


def get_key(*, db_session: Session, erasure_id: str) -> RetentionKey | None:
    """The retention key of an erasure."""
    return db_session.get(RetentionKey, erasure_id)


def get_value(*, db_session: Session, retained_id: str) -> RetainedValue | None:
    """One retained value by id."""
    return db_session.get(RetainedValue, retained_id)


def list_values(
    *,
    db_session: Session,
    subject_pseudonym: str | None = None,
    expired_at: datetime | None = None,
    limit: int | None = None,
) -> list[RetainedValue]:
    """Retained values, soonest to expire first; optionally of one customer or expired."""
    query = select(RetainedValue)
    if subject_pseudonym is not None:
        query = query.where(RetainedValue.subject_pseudonym == subject_pseudonym)
    if expired_at is not None:
        query = query.where(RetainedValue.retain_until <= expired_at)
    query = query.order_by(RetainedValue.retain_until, RetainedValue.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db_session.scalars(query))


def delete_values(*, db_session: Session, ids: Sequence[str]) -> None:
    """Delete retained values by id."""
    for start in range(0, len(ids), CHUNK):
        db_session.execute(
            delete(RetainedValue)
            .where(RetainedValue.id.in_(ids[start : start + CHUNK]))
            .execution_options(synchronize_session=False)
        )
    db_session.flush()


def keys_left_empty(*, db_session: Session, erasure_ids: Sequence[str]) -> list[RetentionKey]:
    """Those of the given retention keys that no retained value uses any more."""
    empty: list[RetentionKey] = []
    for start in range(0, len(erasure_ids), CHUNK):
        chunk = erasure_ids[start : start + CHUNK]
        used = select(RetainedValue.erasure_id).where(RetainedValue.erasure_id.in_(chunk))
        empty.extend(
            db_session.scalars(
                select(RetentionKey).where(
                    RetentionKey.erasure_id.in_(chunk), RetentionKey.erasure_id.not_in(used)
                )
            )
        )
    return empty


def delete_keys(*, db_session: Session, erasure_ids: Sequence[str]) -> None:
    """Delete retention keys (their values must be gone first)."""
    for start in range(0, len(erasure_ids), CHUNK):
        db_session.execute(
            delete(RetentionKey)
            .where(RetentionKey.erasure_id.in_(erasure_ids[start : start + CHUNK]))
            .execution_options(synchronize_session=False)
        )
    db_session.flush()


def count_by_master_version(*, db_session: Session, region: str) -> dict[int, int]:
    """How many retention keys of a region each master key version wraps."""
    rows = db_session.execute(
        select(RetentionKey.master_key_id, func.count())
        .where(RetentionKey.region == region)
        .group_by(RetentionKey.master_key_id)
    )
    return {int(version): int(count) for version, count in rows}


def not_under(*, db_session: Session, region: str, master_key_id: int) -> list[RetentionKey]:
    """A region's retention keys wrapped under another master key version."""
    return list(
        db_session.scalars(
            select(RetentionKey).where(
                RetentionKey.region == region, RetentionKey.master_key_id != master_key_id
            )
        )
    )
