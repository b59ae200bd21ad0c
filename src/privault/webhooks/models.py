"""Tables of outgoing webhooks: the events (an outbox) and one delivery per event and endpoint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

ID_LENGTH = 40
TYPE_LENGTH = 64
ENDPOINT_LENGTH = 63
ERROR_LENGTH = 200


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"  # not tried yet
    FAILED = "failed"  # the last attempt failed; retried at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    DEAD = "dead"  # failed max_attempts times (or its endpoint is gone); retried by hand only


# States a delivery can be claimed from.
DUE_STATES = (DeliveryState.PENDING.value, DeliveryState.FAILED.value)


class WebhookEvent(Base):
    """An event to notify downstream systems of, written in the transaction of the change.

    ``data`` is JSON of identifiers and states, never a field value. ``dispatched_at`` is set
    once the event has been fanned out into deliveries to the endpoints configured then.
    """

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[str] = mapped_column(Text)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_webhook_events_dispatched_at", "dispatched_at"),)


class WebhookDelivery(Base):
    """One event on its way to one endpoint: attempts, next try, last answer."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    event_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_events.id", ondelete="CASCADE")
    )
    endpoint: Mapped[str] = mapped_column(String(ENDPOINT_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # While set and in the future, one worker owns the delivery (compare-and-set claim).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s.value}'" for s in DeliveryState) + ")", name="state"
        ),
        UniqueConstraint("event_id", "endpoint", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )
