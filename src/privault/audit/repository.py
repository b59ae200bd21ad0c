"""Queries on the audit log. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privault.audit.merkle import CompactTree
from privault.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from privault.errors import IntegrityViolation

HEAD_ID = 1


def lock_head(*, db_session: Session) -> AuditHead:
    """The head row, locked for this transaction (FOR UPDATE; SQLite holds the write lock)."""
    head = db_session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        raise IntegrityViolation("the audit log has no head row", code="audit_head_missing")
    return head


def append(*, db_session: Session, head: AuditHead, row: dict[str, Any], leaf: bytes) -> None:
    """Insert the event at the head's index and advance the head."""
    tree = CompactTree.from_state(head.size, bytes(head.state))
    tree.append(leaf)
    db_session.add(AuditEvent(**row, leaf_hash=leaf))
    head.size = tree.size
    head.state = tree.state()
    db_session.flush()


def head_tree(*, db_session: Session) -> CompactTree:
    """The current tree (size and root) without locking."""
    head = db_session.get(AuditHead, HEAD_ID)
    if head is None:
        raise IntegrityViolation("the audit log has no head row", code="audit_head_missing")
    return CompactTree.from_state(head.size, bytes(head.state))


def iter_events(*, db_session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    """Every event in index order, read in pages (keyset pagination)."""
    after = -1
    while True:
        rows = list(
            db_session.scalars(
                select(AuditEvent)
                .where(AuditEvent.leaf_index > after)
                .order_by(AuditEvent.leaf_index)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].leaf_index
        db_session.expunge_all()


def leaf_hashes(*, db_session: Session, start: int, end: int) -> list[bytes]:
    """Stored leaf hashes of indexes [start, end)."""
    return [
        bytes(h)
        for h in db_session.scalars(
            select(AuditEvent.leaf_hash)
            .where(AuditEvent.leaf_index >= start, AuditEvent.leaf_index < end)
            .order_by(AuditEvent.leaf_index)
        )
    ]


def get_event(*, db_session: Session, event_id: str) -> AuditEvent | None:
    """One event by id."""
    return db_session.scalar(select(AuditEvent).where(AuditEvent.id == event_id))


def list_events(
    *,
    db_session: Session,
    subject: str | None = None,
    actor: str | None = None,
    operation: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_index: int = -1,
    limit: int = 100,
) -> list[AuditEvent]:
    """Events matching the filters, oldest first, after ``after_index``."""
    stmt = select(AuditEvent).where(AuditEvent.leaf_index > after_index)
    if subject is not None:
        stmt = stmt.where(AuditEvent.subject == subject)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    if operation is not None:
        stmt = stmt.where(AuditEvent.operation == operation)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    return list(db_session.scalars(stmt.order_by(AuditEvent.leaf_index).limit(limit)))


def checkpoints(*, db_session: Session) -> list[AuditCheckpoint]:
    """Every stored checkpoint, smallest tree first."""
    return list(db_session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))


def latest_checkpoint(*, db_session: Session) -> AuditCheckpoint | None:
    """The checkpoint of the largest tree."""
    return db_session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    )
