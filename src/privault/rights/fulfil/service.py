"""Completing a request performs what it asks, in the completion's own transaction.

access/portability build and seal the package and issue a download link; erasure keeps the
legal-obligation fields under a retention key, crypto-shreds the customer and signs a
certificate; rectification updates fields; restriction restricts processing; objection and
opt-out withdraw purposes. A failure anywhere rolls back the
completion with it (one commit point, the caller's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.consent import (
    consent_history,
    current_consent,
    forget_subject,
    restrict_processing,
)
from privault.datamap import DataMap
from privault.errors import Conflict, InvalidInput, NotFound
from privault.retention import active_hold
from privault.rights import rules as r
from privault.rights.fulfil import repository
from privault.rights.fulfil.actions import rectify, withdraw
from privault.rights.fulfil.certificate import erasure_certificate, sign_certificate
from privault.rights.fulfil.downloads import LINK_LIFETIME, IssuedLink, issue_link
from privault.rights.fulfil.models import AccessPackage, ErasureCertificate
from privault.rights.fulfil.package import (
    PACKAGE_KEY_LABEL,
    build_package,
    seal_package,
)
from privault.rights.fulfil.rules import (
    FieldChange,
    check_changes,
    objection_purposes,
    opt_out_purposes,
    retained_fields,
)
from privault.rights.models import RightsRequest
from privault.rights.retained import retain_fields
from privault.rights.service import complete, get_request
from privault.vault import RecordRead, RecordService, Vault

T = r.RequestType
Done = dict[str, int | str | list[str]]
_PAGE = 1000


@dataclass(frozen=True)
class Fulfiller:
    """What fulfilment uses of an open vault: records, data map, audit log and two keys."""

    records: RecordService
    datamap: DataMap
    audit: AuditLog
    package_key: bytes
    signing_key: Ed25519PrivateKey
    handler_purpose: str

    @classmethod
    def of(cls, vault: Vault) -> Fulfiller:
        """The fulfiller of an open vault."""
        return cls(
            records=vault.records,
            datamap=vault.datamap,
            audit=vault.audit,
            package_key=vault.keys.derived.derive(PACKAGE_KEY_LABEL),
            signing_key=vault.keys.audit_signing_key(),
            handler_purpose=vault.settings.rights.handler_purpose,
        )


@dataclass
class Completion:
    """The completed request and what its fulfilment produced."""

    request: RightsRequest
    link: IssuedLink | None = None
    certificate: dict[str, Any] | None = None
    done: Done = field(default_factory=dict)


def _subject_records(f: Fulfiller, db_session: Session, subject_id: str) -> list[RecordRead]:
    """The customer's records decrypted; none when nothing is stored or they were erased."""
    try:
        return f.records.export_subject(db_session=db_session, subject_id=subject_id).records
    except NotFound:
        return []


def _access_history(f: Fulfiller, db_session: Session, subject_id: str) -> list[Any]:
    entries: list[Any] = []
    after = -1
    while True:
        page = f.audit.access_history(
            db_session=db_session, subject_id=subject_id, after_index=after, limit=_PAGE
        )
        entries.extend(page)
        if len(page) < _PAGE:
            return entries
        after = page[-1].leaf_index


def _package(
    f: Fulfiller,
    *,
    db_session: Session,
    request: RightsRequest,
    at: datetime,
    actor: str,
    done: Done,
) -> None:
    subject = request.subject_id
    records = _subject_records(f, db_session, subject)
    f.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="subject.export",
            subject_id=subject,
            purpose=f.handler_purpose,
            detail={"records": len(records), "request": request.id},
        ),
    )
    states = [
        state
        for purpose in sorted(f.datamap.purposes)
        if (state := current_consent(db_session=db_session, subject_id=subject, purpose=purpose))
    ]
    package = build_package(
        request=request,
        datamap=f.datamap,
        records=records,
        consents=states,
        consent_history=consent_history(db_session=db_session, subject_id=subject),
        access_history=_access_history(f, db_session, subject),
        generated_at=at,
    )
    sealed = seal_package(package, package_key=f.package_key, request_id=request.id)
    row = AccessPackage(request_id=request.id, created_at=at, sealed=sealed)
    repository.add(db_session=db_session, row=row)
    done["records"] = len(records)
    done["access_events"] = len(package["access_history"])


def _erase(
    f: Fulfiller,
    *,
    db_session: Session,
    request: RightsRequest,
    at: datetime,
    actor: str,
    done: Done,
) -> dict[str, Any]:
    subject = request.subject_id
    hold = active_hold(db_session=db_session, subject_id=subject)
    if hold is not None:
        # GDPR Art. 17(3)(e): data needed for legal claims is not erased while the hold lasts.
        raise Conflict(
            "this customer is under a legal hold; release it (privault hold remove) or deny "
            "the request with the reason",
            code="legal_hold",
        )
    records = _subject_records(f, db_session, subject)
    retained = retained_fields(
        datamap=f.datamap,
        handler_purpose=f.handler_purpose,
        records=[(x.collection, x.id, x.created_at, x.values) for x in records],
        now=at,
    )
    if retained:
        # Re-encrypted under a retention key before the customer's key is shredded, in this
        # transaction: if keeping them fails, nothing is shredded.
        values = {(x.collection, x.id): x.values for x in records}
        retain_fields(
            db_session=db_session,
            keys=f.records.keys,
            erasure_id=request.id,
            region=records[0].region,
            subject_pseudonym=f.audit.pseudonym(subject),
            fields=[(x, values[x.collection, x.record_id][x.field]) for x in retained],
            at=at,
        )
    forget_subject(db_session=db_session, subject_id=subject)
    # Earlier access packages are sealed under the package key, not the customer's: delete them.
    packages = repository.delete_packages_of(db_session=db_session, subject_id=subject)
    key_id: str | None = None
    erased_at = at
    try:
        # The last step that checks anything: the key is destroyed in the erasure ledger
        # (outside the database) before the rows go, and that cannot be rolled back.
        receipt = f.records.erase_subject(db_session=db_session, subject_id=subject)
        key_id, erased_at = receipt.key_id, receipt.erased_at
    except NotFound:
        pass  # nothing stored, or erased before (e.g. a completion that failed after it)
    event_id = f.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="subject.erase",
            subject_id=subject,
            purpose=f.handler_purpose,
            detail={"records": len(records), "request": request.id, "retained": len(retained)},
        ),
    )
    certificate = erasure_certificate(
        request=request,
        subject_pseudonym=f.audit.pseudonym(subject),
        erased_at=erased_at,
        records=[(x.collection, x.id) for x in records],
        subject_key_id=key_id,
        retained=retained,
        access_packages=packages,
        audit_event_id=event_id,
    )
    signed = sign_certificate(certificate, f.signing_key)
    repository.add(
        db_session=db_session,
        row=ErasureCertificate(
            request_id=request.id,
            audit_event_id=event_id,
            issued_at=at,
            document=_dumps(signed),
        ),
    )
    done["records"] = len(records)
    done["legal_obligation_fields"] = len(retained)
    done["erased_at"] = erased_at.isoformat()
    return signed


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def complete_request(
    *,
    db_session: Session,
    fulfiller: Fulfiller,
    request_id: str,
    at: datetime,
    actor: str,
    changes: Sequence[FieldChange] | None = None,
    purposes: Sequence[str] | None = None,
    source: str = "api",
    link_lifetime: timedelta = LINK_LIFETIME,
) -> Completion:
    """Complete a request and perform its action in the same transaction, audited.

    Rectification needs ``changes``; objection needs ``purposes``; opt-out takes a subset of
    the sale-or-share purposes (default all). Other types take neither.
    """
    f = fulfiller
    result = Completion(request=get_request(db_session=db_session, request_id=request_id))
    kind = r.RequestType(result.request.type)
    if changes is not None and kind is not T.RECTIFICATION:
        raise InvalidInput("only a rectification takes changes", code="changes_not_applicable")
    if purposes is not None and kind not in (T.OBJECTION, T.OPT_OUT):
        raise InvalidInput(
            "only an objection or opt-out takes purposes", code="purposes_not_applicable"
        )
    checked = check_changes(changes) if kind is T.RECTIFICATION else []
    if kind is T.OBJECTION:
        if purposes is None:
            raise InvalidInput(
                "an objection names the purposes objected to", code="purposes_required"
            )
        withdrawn = objection_purposes(f.datamap, purposes)
    else:
        withdrawn = opt_out_purposes(f.datamap, purposes) if kind is T.OPT_OUT else []

    def perform(request: RightsRequest) -> None:
        done = result.done
        if kind in (T.ACCESS, T.PORTABILITY):
            _package(f, db_session=db_session, request=request, at=at, actor=actor, done=done)
            result.link = issue_link(
                db_session=db_session,
                audit=f.audit,
                request_id=request.id,
                at=at,
                actor=actor,
                lifetime=link_lifetime,
            )
        elif kind is T.ERASURE:
            result.certificate = _erase(
                f, db_session=db_session, request=request, at=at, actor=actor, done=done
            )
        elif kind is T.RECTIFICATION:
            rectify(
                f, db_session=db_session, request=request, actor=actor, changes=checked, done=done
            )
        elif kind is T.RESTRICTION:
            restrict_processing(
                db_session=db_session,
                subject_id=request.subject_id,
                reason=f"restriction request {request.id}",
                at=at,
            )
            f.audit.record(
                db_session=db_session,
                event=AuditRecord(
                    actor=actor,
                    operation="consent.restrict",
                    subject_id=request.subject_id,
                    detail={"request": request.id},
                ),
            )
            done["restricted"] = "yes"
        else:
            withdraw(
                f,
                db_session=db_session,
                request=request,
                at=at,
                actor=actor,
                purposes=withdrawn,
                source=source,
                done=done,
            )

    result.request = complete(
        db_session=db_session,
        audit=f.audit,
        request_id=request_id,
        at=at,
        actor=actor,
        fulfil=perform,
    )
    return result
