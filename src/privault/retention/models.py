"""Tables of retention: legal holds, and the lease that lets one process sweep at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

REASON_LENGTH = 500
ACTOR_LENGTH = 128


class LegalHold(Base):
    """A customer whose data the retention sweep must keep (litigation, an investigation).

    ``reason`` is an operator's note and must name no customer data; the service refuses a
    reason in which the leak detectors find any. No foreign key to the customer's key: a hold
    outlives the data it covered, so an erasure that removed held data stays visible.
    """

    __tablename__ = "legal_holds"

    subject_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))


class SweepLease(Base):
    """Who may sweep now: a named row held until ``expires_at`` and renewed while working."""

    __tablename__ = "retention_leases"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    holder: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
