"""Queries of outgoing webhooks (flush, never commit). Claims are compare-and-set updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from privault.webhooks.models import DUE_STATES, WebhookDelivery, WebhookEvent


def add_event(*, db_session: Session, event: WebhookEvent) -> None:
    """Write an event to the outbox."""
    db_session.add(event)
    db_session.flush()


def undispatched_ids(*, db_session: Session, limit: int) -> list[str]:
    """Ids of events not yet fanned out, oldest first."""
    return list(
        db_session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.dispatched_at.is_(None))
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )


def mark_dispatched(*, db_session: Session, event_id: str, at: datetime) -> WebhookEvent | None:
    """Take an event for fan-out; None when another worker took it first."""
    taken = db_session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_id, WebhookEvent.dispatched_at.is_(None))
        .values(dispatched_at=at)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db_session.get(WebhookEvent, event_id, populate_existing=True)


def add_deliveries(*, db_session: Session, deliveries: Sequence[WebhookDelivery]) -> None:
    """Write the deliveries of one event."""
    db_session.add_all(deliveries)
    db_session.flush()


def _claimable(now: datetime) -> list[object]:
    return [
        WebhookDelivery.state.in_(DUE_STATES),
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
    ]


def due_ids(*, db_session: Session, now: datetime, limit: int) -> list[str]:
    """Ids of deliveries due now and owned by no live worker, earliest first."""
    return list(
        db_session.scalars(
            select(WebhookDelivery.id)
            .where(*_claimable(now))  # type: ignore[arg-type]
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def has_work(*, db_session: Session, now: datetime) -> bool:
    """Whether an event waits for fan-out or a delivery is due (two indexed probes)."""
    waiting = db_session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.dispatched_at.is_(None)).limit(1)
    )
    return waiting is not None or bool(due_ids(db_session=db_session, now=now, limit=1))


def claim(*, db_session: Session, delivery_id: str, now: datetime, until: datetime) -> bool:
    """Own a due delivery until ``until`` and count the attempt; False if another worker won."""
    claimed = db_session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, *_claimable(now))  # type: ignore[arg-type]
        .values(claimed_until=until, attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def settle(
    *,
    db_session: Session,
    delivery_id: str,
    claimed_until: datetime,
    values: dict[str, object],
) -> bool:
    """Record an attempt's outcome if the claim is still ours (its lease unchanged)."""
    settled = db_session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_until == claimed_until)
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(settled.rowcount == 1)  # type: ignore[attr-defined]


def get_delivery(*, db_session: Session, delivery_id: str) -> WebhookDelivery | None:
    """One delivery by id."""
    return db_session.get(WebhookDelivery, delivery_id, populate_existing=True)


def get_event(*, db_session: Session, event_id: str) -> WebhookEvent | None:
    """One event by id."""
    return db_session.get(WebhookEvent, event_id)


def list_deliveries(
    *, db_session: Session, state: str | None, endpoint: str | None, limit: int
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """Deliveries with their events, newest first, optionally of one state and endpoint."""
    query = select(WebhookDelivery, WebhookEvent).join(
        WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    if endpoint is not None:
        query = query.where(WebhookDelivery.endpoint == endpoint)
    rows = db_session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [(delivery, event) for delivery, event in rows]
