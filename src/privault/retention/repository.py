"""Queries on legal holds and the sweep lease. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from privault.crypto import SubjectKey
from privault.retention.models import LegalHold, SweepLease

_CHUNK = 500


def _dialect_insert(db_session: Session, model: type[Any]) -> Any:
    """An INSERT that can take ON CONFLICT, on the session's engine."""
    if db_session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def lock_subjects(*, db_session: Session, subject_ids: Sequence[str]) -> set[str]:
    """Lock the key rows of these customers until the transaction ends; return those found.

    Placing a hold locks the same row, so a hold and a sweep of one customer take turns
    (PostgreSQL row locks; SQLite lets one writer in at a time anyway). Locked in id order so
    two sweepers cannot deadlock.
    """
    found: set[str] = set()
    unique = sorted(set(subject_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        found.update(
            db_session.scalars(
                select(SubjectKey.subject_id)
                .where(SubjectKey.subject_id.in_(chunk))
                .order_by(SubjectKey.subject_id)
                # FOR NO KEY UPDATE: holds and sweeps exclude each other, while writers of
                # new records (whose foreign key check takes KEY SHARE) go on.
                .with_for_update(key_share=True)
            )
        )
    return found


def get_hold(*, db_session: Session, subject_id: str) -> LegalHold | None:
    """The hold on a customer, if any, read fresh from the database."""
    return db_session.get(LegalHold, subject_id, populate_existing=True)


def held_among(*, db_session: Session, subject_ids: Sequence[str]) -> set[str]:
    """Those of ``subject_ids`` under a legal hold."""
    found: set[str] = set()
    unique = sorted(set(subject_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        found.update(
            db_session.scalars(select(LegalHold.subject_id).where(LegalHold.subject_id.in_(chunk)))
        )
    return found


def upsert_hold(
    *, db_session: Session, subject_id: str, reason: str, at: datetime, actor: str
) -> None:
    """Hold a customer's data; a customer already held keeps the start and takes the reason."""
    insert = _dialect_insert(db_session, LegalHold).values(
        subject_id=subject_id, reason=reason, placed_at=at, placed_by=actor
    )
    db_session.execute(
        insert.on_conflict_do_update(
            index_elements=[LegalHold.__table__.c.subject_id],
            set_={"reason": insert.excluded.reason},
        )
    )


def delete_hold(*, db_session: Session, subject_id: str) -> bool:
    """Remove a customer's hold; True when there was one."""
    result = db_session.execute(delete(LegalHold).where(LegalHold.subject_id == subject_id))
    return bool(getattr(result, "rowcount", 0))


def list_holds(*, db_session: Session, limit: int) -> list[LegalHold]:
    """Holds, oldest first."""
    return list(
        db_session.scalars(
            select(LegalHold).order_by(LegalHold.placed_at, LegalHold.subject_id).limit(limit)
        )
    )


def take_lease(
    *, db_session: Session, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``until``: True when it is ours.

    It is ours when nobody has it, when it ran out before ``now``, or when we hold it already.
    """
    result = db_session.execute(
        update(SweepLease)
        .where(
            SweepLease.name == name,
            or_(SweepLease.holder == holder, SweepLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        return True
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT that did nothing.
    inserted = db_session.execute(
        _dialect_insert(db_session, SweepLease)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=[SweepLease.__table__.c.name])
        .returning(SweepLease.name)
    ).first()
    return inserted is not None


def drop_lease(*, db_session: Session, name: str, holder: str) -> bool:
    """Give the lease up if ``holder`` has it; True when it did."""
    result = db_session.execute(
        delete(SweepLease)
        .where(SweepLease.name == name, SweepLease.holder == holder)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def lease_holder(*, db_session: Session, name: str) -> SweepLease | None:
    """The lease row, if any."""
    return db_session.get(SweepLease, name, populate_existing=True)
