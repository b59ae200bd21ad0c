"""Request use cases: open (deduplicated), list, read, move through states, extend, deadlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from privault.audit import AuditLog
from privault.common.ids import new_id
from privault.errors import Conflict, InvalidInput
from privault.rights import repository
from privault.rights import rules as r
from privault.rights.models import (
    RequestAction,
    RightsRequest,
    RightsRequestEvent,
    VerificationMethod,
)
from privault.rights.service._common import (
    add_event,
    check_enum,
    check_reason,
    check_subject_id,
    get_request,
    locked,
    log,
)
from privault.webhooks import notify_request_state


@dataclass(frozen=True)
class Opened:
    """The request, and whether it is new (False: the customer's open one of that type)."""

    request: RightsRequest
    created: bool


@dataclass(frozen=True)
class DeadlineItem:
    """An open request whose answer or receipt confirmation is past or near its deadline."""

    request: RightsRequest
    deadline: Literal["response", "confirmation"]
    due_at: datetime
    overdue: bool


def open_request(
    *,
    db_session: Session,
    audit: AuditLog,
    subject_id: str,
    request_type: str,
    regime: str,
    at: datetime,
    actor: str,
    within_days: int | None = None,
) -> Opened:
    """Open a request, or return the customer's open request of the same type (deduplicated).

    ``within_days`` is a platform's shorter deadline (Shopify: 30 days); the earlier applies.
    """
    subject_id = check_subject_id(subject_id)
    kind = check_enum(r.RequestType, request_type, "type")
    law = check_enum(r.Regime, regime, "regime")
    at = r.check_moment(at)
    request = RightsRequest(
        id=new_id("dsr"),
        subject_id=subject_id,
        type=kind.value,
        regime=law.value,
        state=r.RequestState.RECEIVED.value,
        received_at=at,
        due_at=r.earliest_due(regime=law, received_at=at, within_days=within_days),
        confirm_by=r.confirmation_due(regime=law, received_at=at),
    )
    if not repository.add_unless_open(db_session=db_session, request=request):
        existing = repository.find_open(
            db_session=db_session, subject_id=subject_id, request_type=kind.value
        )
        if existing is None:  # pragma: no cover - the unique index names an open request
            raise Conflict("the request clashed with another one; retry", code="request_race")
        log(
            db_session=db_session,
            audit=audit,
            request=existing,
            actor=actor,
            operation="open",
            deduplicated=True,
        )
        return Opened(request=existing, created=False)
    add_event(
        db_session=db_session,
        request=request,
        action=RequestAction.RECEIVED,
        at=at,
        actor=actor,
        to_state=request.state,
    )
    log(
        db_session=db_session,
        audit=audit,
        request=request,
        actor=actor,
        operation="open",
        regime=law.value,
    )
    return Opened(request=request, created=True)


def list_requests(
    *,
    db_session: Session,
    state: str | None = None,
    request_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> list[RightsRequest]:
    """Requests, oldest first, optionally filtered by state, type and customer."""
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000", code="invalid_limit")
    return repository.list_requests(
        db_session=db_session,
        state=None if state is None else check_enum(r.RequestState, state, "state").value,
        request_type=None
        if request_type is None
        else check_enum(r.RequestType, request_type, "type"),
        subject_id=None if subject_id is None else check_subject_id(subject_id),
        limit=limit,
        after=after,
    )


def request_history(*, db_session: Session, request_id: str) -> list[RightsRequestEvent]:
    """Every step of the request, oldest first."""
    request = get_request(db_session=db_session, request_id=request_id)
    return repository.list_events(db_session=db_session, request_id=request.id)


def move(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    target: r.RequestState,
    at: datetime,
    actor: str,
    reason: str | None = None,
    method: VerificationMethod | None = None,
) -> RightsRequest:
    """Move the request to ``target`` if the table allows; record the event and audit it."""
    at = r.check_moment(at)
    request = locked(db_session, request_id)
    current = r.RequestState(request.state)
    recorded = r.check_transition(
        request_type=r.RequestType(request.type), current=current, target=target, reason=reason
    )
    if recorded is not None:
        recorded = check_reason(recorded)
    request.state = target.value
    if target is r.RequestState.IDENTITY_VERIFIED:
        request.verified_at = at
        request.verified_by = (method or VerificationMethod.OPERATOR).value
    if not r.is_open(target):
        request.closed_at = at
    add_event(
        db_session=db_session,
        request=request,
        action=RequestAction.TRANSITION,
        at=at,
        actor=actor,
        from_state=current.value,
        to_state=target.value,
        reason=recorded,
    )
    # Downstream systems hear of the step by signed webhook, sent once this transaction commits.
    notify_request_state(
        db_session=db_session,
        request_id=request.id,
        request_type=request.type,
        state=target.value,
        subject_id=request.subject_id,
        at=at,
    )
    log(
        db_session=db_session,
        audit=audit,
        request=request,
        actor=actor,
        operation=target.value,
        from_state=current.value,
        to_state=target.value,
        **({"method": method.value} if method is not None else {}),
    )
    return request


def verify_identity(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    method: str,
    at: datetime,
    actor: str,
    reason: str | None = None,
) -> RightsRequest:
    """Record identity as verified by a signed-in session or by an operator (with a reason)."""
    checked = check_enum(VerificationMethod, method, "method")
    if checked is VerificationMethod.CODE:
        raise InvalidInput("a code is verified with check_code", code="invalid_method")
    if checked is VerificationMethod.OPERATOR and reason is None:
        raise InvalidInput("an operator's verification needs a reason", code="reason_required")
    return move(
        db_session=db_session,
        audit=audit,
        request_id=request_id,
        target=r.RequestState.IDENTITY_VERIFIED,
        at=at,
        actor=actor,
        reason=reason,
        method=checked,
    )


def approve(
    *, db_session: Session, audit: AuditLog, request_id: str, at: datetime, actor: str
) -> RightsRequest:
    """Start work on the request (identity verified, or an opt-out that needs no verification)."""
    return move(
        db_session=db_session,
        audit=audit,
        request_id=request_id,
        target=r.RequestState.IN_PROGRESS,
        at=at,
        actor=actor,
    )


def deny(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    reason: str,
    at: datetime,
    actor: str,
) -> RightsRequest:
    """Deny the request; the reason is mandatory and kept in its history."""
    return move(
        db_session=db_session,
        audit=audit,
        request_id=request_id,
        target=r.RequestState.DENIED,
        at=at,
        actor=actor,
        reason=reason,
    )


def complete(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    at: datetime,
    actor: str,
    fulfil: Callable[[RightsRequest], None] | None = None,
) -> RightsRequest:
    """Record the request as answered; ``fulfil`` performs it in the same transaction."""
    request = move(
        db_session=db_session,
        audit=audit,
        request_id=request_id,
        target=r.RequestState.COMPLETED,
        at=at,
        actor=actor,
    )
    if fulfil is not None:
        fulfil(request)
    return request


def extend(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    reason: str,
    at: datetime,
    actor: str,
) -> RightsRequest:
    """Extend the deadline once, as the regime allows, with the reason recorded."""
    at = r.check_moment(at)
    request = locked(db_session, request_id)
    due, recorded = r.check_extension(
        regime=r.Regime(request.regime),
        state=r.RequestState(request.state),
        received_at=request.received_at,
        already_extended=request.extended_at is not None,
        at=at,
        reason=reason,
    )
    recorded = check_reason(recorded)
    request.due_at, request.extended_at = due, at
    add_event(
        db_session=db_session,
        request=request,
        action=RequestAction.EXTENDED,
        at=at,
        actor=actor,
        reason=recorded,
    )
    log(db_session=db_session, audit=audit, request=request, actor=actor, operation="extend")
    return request


def confirm_receipt(
    *, db_session: Session, audit: AuditLog, request_id: str, at: datetime, actor: str
) -> RightsRequest:
    """Record that receipt was confirmed to the customer (once; again is a no-op)."""
    at = r.check_moment(at)
    request = locked(db_session, request_id)
    if request.confirmed_at is None:
        request.confirmed_at = at
        add_event(
            db_session=db_session,
            request=request,
            action=RequestAction.CONFIRMED,
            at=at,
            actor=actor,
        )
        log(db_session=db_session, audit=audit, request=request, actor=actor, operation="confirm")
    return request


def overdue(
    *, db_session: Session, now: datetime, within: timedelta = timedelta(0)
) -> list[DeadlineItem]:
    """Open requests whose answer or receipt confirmation is past due or due within ``within``."""
    now = r.check_moment(now, what="now")
    if within < timedelta(0):
        raise InvalidInput("the look-ahead must not be negative", code="invalid_within")
    horizon = now + within
    items: list[DeadlineItem] = []
    for request in repository.due_before(db_session=db_session, before=horizon):
        confirm_by = request.confirm_by
        if request.confirmed_at is None and confirm_by is not None and confirm_by <= horizon:
            items.append(DeadlineItem(request, "confirmation", confirm_by, confirm_by < now))
        if request.due_at <= horizon:
            items.append(DeadlineItem(request, "response", request.due_at, request.due_at < now))
    return sorted(items, key=lambda item: (item.due_at, item.request.id))
