"""Helpers the request use cases share: input checks, history and audit entries, locking."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.dlp import analyze
from privault.errors import InvalidInput, NotFound
from privault.rights import repository
from privault.rights import rules as r
from privault.rights.models import (
    SUBJECT_LENGTH,
    RequestAction,
    RightsRequest,
    RightsRequestEvent,
)

E = TypeVar("E", bound=StrEnum)


def check_subject_id(subject_id: object) -> str:
    """The shop's customer id: 1 to 255 characters without control characters."""
    if (
        not isinstance(subject_id, str)
        or not 1 <= len(subject_id) <= SUBJECT_LENGTH
        or r.CONTROL_CHARACTERS.search(subject_id)
    ):
        raise InvalidInput(
            "customer id must be 1 to 255 characters without control characters",
            code="invalid_subject_id",
        )
    return subject_id


def check_enum(kind: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``kind``; InvalidInput naming the allowed values otherwise."""
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    raise InvalidInput(f"{what} must be one of: {', '.join(kind)}", code=f"invalid_{what}")


def check_reason(reason: object, *, what: str = "reason") -> str:
    """A recorded reason: one line, and free of personal data (it lands in the history)."""
    checked = r.check_reason(reason, what=what)
    if analyze(checked):
        raise InvalidInput(
            "the reason seems to contain personal data; describe the case without it",
            code="reason_contains_personal_data",
        )
    return checked


def log(
    *,
    db_session: Session,
    audit: AuditLog,
    request: RightsRequest,
    actor: str,
    operation: str,
    outcome: str = "ok",
    **detail: int | str | bool,
) -> None:
    """Append the audit event of a step (the customer named by pseudonym only)."""
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation=f"rights.{operation}",
            outcome=outcome,
            subject_id=request.subject_id,
            detail={"request": request.id, "type": request.type, **detail},
        ),
    )


def add_event(
    *,
    db_session: Session,
    request: RightsRequest,
    action: RequestAction,
    at: datetime,
    actor: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
) -> None:
    """Append one event to the request's history."""
    repository.add_event(
        db_session=db_session,
        event=RightsRequestEvent(
            request_id=request.id,
            seq=repository.next_seq(db_session=db_session, request_id=request.id),
            at=at,
            actor=actor[:128],
            action=action.value,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
        ),
    )


def _fetch(db_session: Session, request_id: object, *, lock: bool) -> RightsRequest:
    found = None
    if isinstance(request_id, str) and 0 < len(request_id) <= 40:
        fetch = repository.get_for_update if lock else repository.get
        found = fetch(db_session=db_session, request_id=request_id)
    if found is None:
        raise NotFound("no such request", code="request_not_found")
    return found


def get_request(*, db_session: Session, request_id: str) -> RightsRequest:
    """The request with this id; NotFound when there is none."""
    return _fetch(db_session, request_id, lock=False)


def locked(db_session: Session, request_id: str) -> RightsRequest:
    """The request, locked for the rest of the transaction; NotFound when there is none."""
    return _fetch(db_session, request_id, lock=True)
