"""An operator's erasure of a customer without the customer asking (``privault erase``, the admin
route): recorded as an erasure request opened, verified by the operator and completed at once, so
it honours legal holds, keeps legal-obligation fields, forgets consent, notifies downstream
systems and issues a certificate exactly as a customer's own request does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from privault.rights import rules as r
from privault.rights.fulfil.service import Completion, Fulfiller, complete_request
from privault.rights.service import approve, open_request, verify_identity

__all__ = ["erase_directly"]


def erase_directly(
    *,
    db_session: Session,
    fulfiller: Fulfiller,
    subject_id: str,
    regime: str,
    at: datetime,
    actor: str,
    reason: str,
) -> Completion:
    """Erase ``subject_id`` now, through an erasure request the operator vouches for.

    ``reason`` (why the operator erases, e.g. "account closed by support ticket 4411") is kept
    on the request; it must name no customer data. An open erasure request of the customer is
    taken over rather than duplicated. ``NotFound`` when the vault holds nothing for the
    customer (never stored, or erased already).
    """
    # An operator names a customer the vault knows: an unknown or already erased one is an
    # error (NotFound), not a new request with an empty certificate.
    fulfiller.records.check_subject(db_session=db_session, subject_id=subject_id)
    request = open_request(
        db_session=db_session, audit=fulfiller.audit, subject_id=subject_id,
        request_type=r.RequestType.ERASURE.value, regime=regime, at=at, actor=actor,
    ).request  # fmt: skip
    if request.state == r.RequestState.RECEIVED.value:
        request = verify_identity(
            db_session=db_session, audit=fulfiller.audit, request_id=request.id,
            method="operator", at=at, actor=actor, reason=reason,
        )  # fmt: skip
    if request.state == r.RequestState.IDENTITY_VERIFIED.value:
        request = approve(
            db_session=db_session, audit=fulfiller.audit, request_id=request.id, at=at, actor=actor
        )
    return complete_request(
        db_session=db_session, fulfiller=fulfiller, request_id=request.id, at=at, actor=actor
    )
