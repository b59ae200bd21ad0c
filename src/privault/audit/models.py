"""Tables of the audit log: events (Merkle leaves), the head of the tree, signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime


class AuditEvent(Base):
    """One access or change, as a leaf of the Merkle tree at ``leaf_index``.

    ``leaf_hash`` is SHA-256(0x00 || canonical bytes of the event); verification recomputes it.
    Database triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_events"

    # On SQLite exactly INTEGER makes the key the table's rowid (one B-tree, not two).
    leaf_index: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    operation: Mapped[str] = mapped_column(String(64))
    collection: Mapped[str | None] = mapped_column(String(63), nullable=True)
    fields_requested: Mapped[str | None] = mapped_column(Text, nullable=True)
    fields_returned: Mapped[str | None] = mapped_column(Text, nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(63), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        Index("ix_audit_events_subject", "subject", "leaf_index"),
        Index("ix_audit_events_at", "at"),
    )


class AuditHead(Base):
    """The single row holding the next leaf index and the compact Merkle state.

    Appending an event updates this row first; the row lock (PostgreSQL) or the write lock
    (SQLite) makes concurrent appenders take indexes one after the other, without gaps.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of the data map last seen by a process opening the vault: a change is logged.
    datamap_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditCheckpoint(Base):
    """A signed statement of the tree's size and root at a moment."""

    __tablename__ = "audit_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
