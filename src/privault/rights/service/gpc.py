"""Global Privacy Control: a ``Sec-GPC: 1`` request opts the customer out of sale and sharing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.consent import ConsentSource, withdraw_consent
from privault.datamap import DataMap
from privault.rights import rules as r
from privault.rights.service._common import check_subject_id


def sale_or_share_purposes(datamap: DataMap) -> list[str]:
    """The purposes the data map marks ``sale_or_share: true``, in name order."""
    return sorted(name for name, purpose in datamap.purposes.items() if purpose.sale_or_share)


def apply_gpc(
    *,
    db_session: Session,
    audit: AuditLog,
    datamap: DataMap,
    subject_id: str,
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
    at: datetime,
    actor: str,
    origin: str | None = None,
) -> list[str]:
    """On ``Sec-GPC: 1``, withdraw consent to every sale-or-share purpose; return those purposes.

    Nothing else is asked of the customer (CCPA Regulations 7025); without the signal nothing
    changes and the list is empty. ``origin`` is the keyed pseudonym of the request's network
    origin (``privault.consent.origin_pseudonym``), kept on each withdrawal.
    """
    subject_id = check_subject_id(subject_id)
    at = r.check_moment(at)
    if not r.gpc_signal(headers):
        return []
    purposes = sale_or_share_purposes(datamap)
    for purpose in purposes:
        withdraw_consent(
            db_session=db_session,
            datamap=datamap,
            subject_id=subject_id,
            purpose=purpose,
            source=ConsentSource.GPC.value,
            at=at,
            origin=origin,
        )
        audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=actor,
                operation="consent.withdraw",
                purpose=purpose,
                subject_id=subject_id,
                detail={"source": ConsentSource.GPC.value},
            ),
        )
    return purposes
