"""Queries on data-subject requests, their events and codes. Flushes, never commits.

Request events are append-only: this module can add them and read them, nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.rights.models import (
    OPEN_CONDITION,
    RightsRequest,
    RightsRequestEvent,
    VerificationCode,
)
from privault.rights.rules import OPEN_STATES

_OPEN = sorted(state.value for state in OPEN_STATES)


def get(*, db_session: Session, request_id: str) -> RightsRequest | None:
    """The request with this id, read fresh from the database, or None."""
    return db_session.get(RightsRequest, request_id, populate_existing=True)


def get_for_update(*, db_session: Session, request_id: str) -> RightsRequest | None:
    """The request, locked until the transaction ends (PostgreSQL; SQLite locks the database)."""
    return db_session.scalars(
        select(RightsRequest)
        .where(RightsRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def find_open(*, db_session: Session, subject_id: str, request_type: str) -> RightsRequest | None:
    """The open request of this customer and type, if any."""
    return db_session.scalars(
        select(RightsRequest).where(
            RightsRequest.subject_id == subject_id,
            RightsRequest.type == request_type,
            text(OPEN_CONDITION),
        )
    ).one_or_none()


def add_unless_open(*, db_session: Session, request: RightsRequest) -> bool:
    """Insert a request; False (nothing written) when the customer has an open one of its type.

    The partial unique index decides, so two writers racing on the same customer cannot both
    insert; the savepoint keeps the caller's transaction usable after the refusal.
    """
    try:
        with db_session.begin_nested():
            db_session.add(request)
            db_session.flush()
    except IntegrityError:
        return False
    return True


def next_seq(*, db_session: Session, request_id: str) -> int:
    """The number of the request's next event (call with the request locked)."""
    last = db_session.scalar(
        select(func.max(RightsRequestEvent.seq)).where(RightsRequestEvent.request_id == request_id)
    )
    return int(last or 0) + 1


def add_event(*, db_session: Session, event: RightsRequestEvent) -> None:
    """Append one event to a request's history."""
    db_session.add(event)
    db_session.flush()


def list_events(*, db_session: Session, request_id: str) -> list[RightsRequestEvent]:
    """A request's history, oldest first."""
    return list(
        db_session.scalars(
            select(RightsRequestEvent)
            .where(RightsRequestEvent.request_id == request_id)
            .order_by(RightsRequestEvent.seq)
        )
    )


def list_requests(
    *,
    db_session: Session,
    state: str | None,
    request_type: str | None,
    subject_id: str | None,
    limit: int,
    after: str | None,
) -> list[RightsRequest]:
    """Requests, oldest first (by id, which rises with time), filtered; ``after`` is a cursor."""
    statement = select(RightsRequest).order_by(RightsRequest.id).limit(limit)
    if state is not None:
        statement = statement.where(RightsRequest.state == state)
    if request_type is not None:
        statement = statement.where(RightsRequest.type == request_type)
    if subject_id is not None:
        statement = statement.where(RightsRequest.subject_id == subject_id)
    if after is not None:
        statement = statement.where(RightsRequest.id > after)
    return list(db_session.scalars(statement))


def due_before(*, db_session: Session, before: datetime) -> list[RightsRequest]:
    """Open requests whose answer, or unconfirmed receipt, is due at or before ``before``."""
    return list(
        db_session.scalars(
            select(RightsRequest)
            .where(
                RightsRequest.state.in_(_OPEN),
                or_(
                    RightsRequest.due_at <= before,
                    and_(
                        RightsRequest.confirmed_at.is_(None),
                        RightsRequest.confirm_by <= before,
                    ),
                ),
            )
            .order_by(RightsRequest.due_at, RightsRequest.id)
        )
    )


def get_code(*, db_session: Session, request_id: str) -> VerificationCode | None:
    """The live code of a request, read fresh, or None."""
    return db_session.get(VerificationCode, request_id, populate_existing=True)


def put_code(*, db_session: Session, code: VerificationCode) -> None:
    """Store or replace a request's code."""
    db_session.merge(code)
    db_session.flush()


def delete_code(*, db_session: Session, code: VerificationCode) -> None:
    """Remove a used code."""
    db_session.delete(code)
    db_session.flush()
