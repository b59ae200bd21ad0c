"""Legal holds: a customer's data is kept past its retention until the hold is removed.

Every change is written to the audit log in the caller's transaction (the customer named by
pseudonym, the reason left out). Services flush and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.dlp import analyze
from privault.errors import InvalidInput, NotFound
from privault.retention import repository
from privault.retention.models import ACTOR_LENGTH, REASON_LENGTH, LegalHold

__all__ = ["PlacedHold", "active_hold", "list_holds", "place_hold", "release_hold"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_LIST = 10_000


@dataclass(frozen=True)
class PlacedHold:
    """The hold now in force, and whether it is new (False: an existing hold took the reason)."""

    hold: LegalHold
    created: bool


def _check_subject_id(subject_id: object) -> str:
    if (
        not isinstance(subject_id, str)
        or not 1 <= len(subject_id) <= 255
        or _CONTROL.search(subject_id)
    ):
        raise InvalidInput(
            "customer id must be 1 to 255 characters without control characters",
            code="invalid_subject_id",
        )
    return subject_id


def _check_reason(reason: object) -> str:
    if (
        not isinstance(reason, str)
        or not reason.strip()
        or len(reason) > REASON_LENGTH
        or _CONTROL.search(reason)
    ):
        raise InvalidInput(
            f"reason must be 1 to {REASON_LENGTH} characters on one line", code="invalid_reason"
        )
    found = sorted({finding.type for finding in analyze(reason)})
    if found:
        raise InvalidInput(
            "the reason seems to contain personal data; describe the case without it "
            "(e.g. a case number)",
            code="reason_contains_personal_data",
            types=found,
        )
    return reason.strip()


def active_hold(*, db_session: Session, subject_id: str) -> LegalHold | None:
    """The legal hold on a customer, or None: erasure and retention must keep held data."""
    if not isinstance(subject_id, str):
        return None
    return repository.get_hold(db_session=db_session, subject_id=subject_id)


def place_hold(
    *,
    db_session: Session,
    audit: AuditLog,
    subject_id: str,
    reason: str,
    at: datetime,
    actor: str,
) -> PlacedHold:
    """Hold every record of a customer the vault stores; a held customer takes the new reason.

    Raises ``InvalidInput`` for a malformed id or a reason that is empty, too long or seems to
    hold personal data, and ``NotFound`` when the vault stores nothing for the customer.
    """
    subject_id = _check_subject_id(subject_id)
    reason = _check_reason(reason)
    # Locks the customer's key row: a sweep running now finishes with it before the hold
    # lands, or sees the hold.
    if not repository.lock_subjects(db_session=db_session, subject_ids=[subject_id]):
        raise NotFound("no data is stored for this customer", code="subject_not_found")
    created = repository.get_hold(db_session=db_session, subject_id=subject_id) is None
    repository.upsert_hold(
        db_session=db_session,
        subject_id=subject_id,
        reason=reason,
        at=at,
        actor=actor[:ACTOR_LENGTH],
    )
    hold = repository.get_hold(db_session=db_session, subject_id=subject_id)
    if hold is None:  # pragma: no cover - the upsert above guarantees a row
        raise RuntimeError("legal hold vanished inside its own transaction")
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="retention.hold_add",
            subject_id=subject_id,
            detail={"created": created},
        ),
    )
    return PlacedHold(hold, created)


def release_hold(*, db_session: Session, audit: AuditLog, subject_id: str, actor: str) -> None:
    """Remove a customer's legal hold; the next sweep deletes what is past its retention.

    Raises ``NotFound`` when the customer is not held.
    """
    subject_id = _check_subject_id(subject_id)
    if not repository.delete_hold(db_session=db_session, subject_id=subject_id):
        raise NotFound("this customer has no legal hold", code="hold_not_found")
    audit.record(
        db_session=db_session,
        event=AuditRecord(actor=actor, operation="retention.hold_remove", subject_id=subject_id),
    )


def list_holds(*, db_session: Session, limit: int = 1000) -> list[LegalHold]:
    """Holds in force, oldest first."""
    return repository.list_holds(db_session=db_session, limit=max(1, min(limit, MAX_LIST)))
