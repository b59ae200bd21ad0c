"""Deliver one-time codes to the e-mail address the vault holds for the customer.

The code goes into the authentication outbox in the caller's transaction (so it is stored if,
and only if, the code is), sealed like every outbox message; ``deliver_pending`` or a test
reads it from there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from privault.auth import AuthKeys, enqueue_to
from privault.errors import Conflict, NotFound
from privault.rights.service.codes import CodeSender
from privault.vault import RecordService

OUTBOX_KIND = "rights_code"


def _email_of(records: RecordService, db_session: Session, subject_id: str) -> str | None:
    """The first e-mail address stored for the customer (data-map fields of type email)."""
    email_fields = {
        (name, field)
        for name, collection in records.datamap.collections.items()
        for field, spec in collection.fields.items()
        if str(spec.type) == "email"
    }
    if not email_fields:
        return None
    try:
        export = records.export_subject(db_session=db_session, subject_id=subject_id)
    except NotFound:  # nothing stored (or erased): there is no address to write to
        return None
    for record in export.records:
        for name, value in record.values.items():
            if (record.collection, name) in email_fields:
                return value
    return None


def outbox_code_sender(records: RecordService, keys: AuthKeys) -> CodeSender:
    """A CodeSender writing the code to the outbox, addressed to the customer's e-mail."""

    def send(
        *,
        db_session: Session,
        request_id: str,
        subject_id: str,
        code: str,
        expires_at: datetime,
    ) -> None:
        address = _email_of(records, db_session, subject_id)
        if address is None:
            raise Conflict(
                "no e-mail address is stored for this customer; verify them another way",
                code="no_contact_address",
            )
        shop = records.datamap.shop or "privault"
        enqueue_to(
            db_session=db_session,
            keys=keys,
            recipient=address,
            kind=OUTBOX_KIND,
            subject=f"{shop}: your verification code",
            body=(
                f"Your code to confirm your privacy request {request_id} is {code}.\n"
                f"It expires at {expires_at.isoformat(timespec='minutes')} UTC. If you did not "
                "make this request, ignore this message."
            ),
            at=records.clock.now(),
        )

    return send
