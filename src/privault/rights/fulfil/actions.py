"""What completing a rectification, objection or opt-out does to the vault and the consent
ledger (``complete_request`` calls these in the request's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from privault.audit import AuditRecord
from privault.consent import withdraw_consent
from privault.errors import NotFound
from privault.rights.fulfil.rules import FieldChange
from privault.rights.models import RightsRequest

if TYPE_CHECKING:
    from privault.rights.fulfil.service import Done, Fulfiller


def rectify(
    f: Fulfiller,
    *,
    db_session: Session,
    request: RightsRequest,
    actor: str,
    changes: Sequence[FieldChange],
    done: Done,
) -> None:
    """Correct each record of the customer (re-encrypted, re-indexed), audited per record."""
    fields: set[str] = set()
    for change in changes:
        try:
            current = f.records.get(
                db_session=db_session,
                collection=change.collection,
                record_id=change.record_id,
                only=[],
            )
        except NotFound:
            current = None
        if current is None or current.subject_id != request.subject_id:
            # The same answer for "no such record" and "another customer's record".
            raise NotFound("no such record of this customer", code="record_not_found")
        f.records.update(
            db_session=db_session,
            collection=change.collection,
            record_id=change.record_id,
            values=change.values,
        )
        f.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=actor,
                operation="record.update",
                collection=change.collection,
                fields_requested=list(change.values),
                subject_id=request.subject_id,
                purpose=f.handler_purpose,
                detail={"record": change.record_id, "request": request.id},
            ),
        )
        fields.update(f"{change.collection}.{name}" for name in change.values)
    done["records"] = len(changes)
    done["fields"] = sorted(fields)


def withdraw(
    f: Fulfiller,
    *,
    db_session: Session,
    request: RightsRequest,
    at: datetime,
    actor: str,
    purposes: list[str],
    source: str,
    done: Done,
) -> None:
    """Withdraw the customer's consent to each purpose (objection, opt-out), audited."""
    for purpose in purposes:
        withdraw_consent(
            db_session=db_session,
            datamap=f.datamap,
            subject_id=request.subject_id,
            purpose=purpose,
            source=source,
            at=at,
        )
        f.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=actor,
                operation="consent.withdraw",
                purpose=purpose,
                subject_id=request.subject_id,
                detail={"source": source, "request": request.id},
            ),
        )
    done["purposes"] = purposes
