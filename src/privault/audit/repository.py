"""Queries on the audit log. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privault.audit.merkle import CompactTree
from privault.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from privault.errors import IntegrityViolation, Unavailable

HEAD_ID = 1


def lock_head(*, db_session: Session) -> AuditHead:
    """The head row, locked for this transaction (FOR UPDATE; SQLite holds the write lock)."""
    head = db_session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        raise IntegrityViolation("the audit log has no head row", code="audit_head_missing")
    return head


_COLUMNS = (
    "leaf_index", "id", "at", "actor", "operation", "collection", "fields_requested",
    "fields_returned", "purpose", "subject", "outcome", "request_id", "detail", "leaf_hash",
)  # fmt: skip


def _sql(dialect: str) -> tuple[str, str, str]:
    mark = "?" if dialect == "sqlite" else "%s"
    lock = "" if dialect == "sqlite" else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE holds the lock
    return (
        f"SELECT size, state FROM audit_head WHERE id = {HEAD_ID}{lock}",  # noqa: S608 - constants
        f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join([mark] * len(_COLUMNS))})",
        f"UPDATE audit_head SET size = {mark}, state = {mark} WHERE id = {HEAD_ID}",  # noqa: S608
    )


_SQL = {name: _sql(name) for name in ("sqlite", "postgresql")}


def append_event(
    *, db_session: Session, build: Callable[[int], tuple[dict[str, Any], bytes]]
) -> str:
    """Append one event at the head, in the caller's transaction, and advance the head.

    ``build(leaf_index)`` returns the event's column values and its leaf hash. Runs on the
    driver's cursor: this is on the path of every audited access, where the ORM's unit of work
    would cost several times the read it records.
    """
    connection = db_session.connection()
    dialect = connection.dialect
    select_head, insert_event, update_head = _SQL[dialect.name]
    at_processor = AuditEvent.__table__.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(select_head)
        head = cursor.fetchone()
        if head is None:
            raise IntegrityViolation("the audit log has no head row", code="audit_head_missing")
        size, state = int(head[0]), bytes(head[1])
        row, digest = build(size)
        row["at"] = at_processor(row["at"]) if at_processor else row["at"]
        cursor.execute(insert_event, [*(row[c] for c in _COLUMNS[:-1]), digest])
        tree = CompactTree.from_state(size, state)
        tree.append(digest)
        cursor.execute(update_head, (tree.size, tree.state()))
        event_id = str(row["id"])
    except dialect.loaded_dbapi.OperationalError as exc:
        raise Unavailable(
            f"database unavailable ({type(exc).__name__})", code="database_unavailable"
        ) from exc
    finally:
        cursor.close()
    return event_id


def head_tree(*, db_session: Session) -> CompactTree:
    """The current tree (size and root) without locking."""
    head = db_session.get(AuditHead, HEAD_ID)
    if head is None:
        raise IntegrityViolation("the audit log has no head row", code="audit_head_missing")
    return CompactTree.from_state(head.size, bytes(head.state))


_EVENT_COLUMNS = ", ".join(_COLUMNS)


def iter_events(*, db_session: Session, batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """Every event in index order as raw driver tuples (columns in ``_COLUMNS`` order).

    Read on the driver's cursor, in pages: verification touches every event, and SQLAlchemy's
    row processing would cost more than the hashing. ``at`` comes as the driver gives it (text
    on SQLite, a datetime on PostgreSQL); :func:`canonical_at` turns either into the
    canonical form.
    """
    connection = db_session.connection()
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    sql = (
        f"SELECT {_EVENT_COLUMNS} FROM audit_events "  # noqa: S608 - fixed column names
        f"WHERE leaf_index > {mark} ORDER BY leaf_index LIMIT {int(batch)}"
    )
    after = -1
    while True:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, (after,))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


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
    """One event by id (ids name their leaf index: a primary-key lookup, no id index)."""
    prefix, _, digits = event_id.partition("_")
    if prefix != "evt" or len(digits) != 16:
        return None
    try:
        index = int(digits, 16)
    except ValueError:
        return None
    event = db_session.get(AuditEvent, index)
    return event if event is not None and event.id == event_id else None


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
