"""``/v1/admin``: API keys, master key rotation, customer export and erasure, by an operator.

Each endpoint needs the operator's session cookie (401 without a live one), a role the matrix
in ``privault.auth.permissions`` allows (403 ``role_not_allowed``; a customer's session is 403
``operator_only``) and a login or re-authentication within ``auth.step_up_s`` (403
``step_up_required``). Refusals and the operations themselves are audited with the operator as
actor; an API key is no credential here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.admin.schemas import (
    ApiKeyCreate,
    ApiKeyCreatedRead,
    ErasureRead,
    ExportedRecordRead,
    KeyRotationCreate,
    KeyRotationRead,
    SubjectExportRead,
)
from privault.api.routes.auth import SessionCookie, authenticator, refused
from privault.apikeys import create_api_key
from privault.audit import AuditRecord
from privault.auth import CurrentSession, OperatorAction, Refusal
from privault.crypto import service as key_service
from privault.rights import rewrap_retention_keys
from privault.rights.fulfil import Fulfiller, erase_directly
from privault.vault import SubjectExport, Vault

router = APIRouter(prefix="/v1/admin", tags=["administration"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No live session."},
    403: {
        "description": "Not an operator, a role the operation is not open to "
        "(`role_not_allowed`), or no step-up within `auth.step_up_s` (`step_up_required`)."
    },
}
SubjectId = Annotated[
    str,
    Path(min_length=1, max_length=255, description="The shop's customer id.", examples=["C-1001"]),
]
VIA = "admin_api"


def _operator(
    request: Request,
    vault: Vault,
    db_session: Session,
    token: str | None,
    action: OperatorAction,
) -> CurrentSession | JSONResponse:
    """The operator's session if allowed, else the refusal's answer (audited by the caller's
    commit)."""
    auth = authenticator(request, vault)
    result = auth.authorize_operator(db_session=db_session, token=token, action=action)
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return result


def _actor(current: CurrentSession) -> str:
    return f"operator:{current.account_id}"


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (admin)",
    response_model=ApiKeyCreatedRead,
    responses={**_REFUSALS, 422: {"description": "Unknown role, purpose or region."}},
)
def create_key(
    body: ApiKeyCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> ApiKeyCreatedRead | JSONResponse:
    """Create an API key for a data-map role; the key is in this answer only (a hash is kept)."""
    current = _operator(request, vault, db_session, token, OperatorAction.CREATE_API_KEY)
    if isinstance(current, JSONResponse):
        return current
    created = create_api_key(
        db_session=db_session,
        datamap=vault.datamap,
        hash_key=request.app.state.api_key_hash_key,
        role=body.role,
        purposes=body.purposes,
        regions=body.regions,
        name=body.name,
        at=vault.records.clock.now(),
    )
    vault.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=_actor(current),
            operation=OperatorAction.CREATE_API_KEY.value,
            detail={"key": created.record.id, "role": created.record.role, "via": VIA},
        ),
    )
    return ApiKeyCreatedRead(key=created.key, record=created.record)


@router.post(
    "/keys/rotate",
    summary="Rotate master keys (admin)",
    response_model=list[KeyRotationRead],
    responses={**_REFUSALS, 422: {"description": "Unknown region."}},
)
def rotate_keys(
    request: Request,
    vault: VaultDep,
    body: Annotated[KeyRotationCreate | None, Body()] = None,
    token: SessionCookie = None,
) -> list[KeyRotationRead] | JSONResponse:
    """Add a new master key version per region and rewrap every customer key under it, a batch
    per transaction while the server serves (as `privault keys rotate`)."""
    # No request-wide transaction: each batch commits on its own, and on SQLite a transaction
    # held open here would hold the write lock the batches need.
    with vault.session() as db_session:
        current = _operator(request, vault, db_session, token, OperatorAction.ROTATE_KEYS)
    if isinstance(current, JSONResponse):
        return current
    wanted = body or KeyRotationCreate()
    regions = wanted.regions or list(vault.datamap.regions)
    for name in regions:
        vault.datamap.region_or_default(name)
    done: list[KeyRotationRead] = []
    for name in dict.fromkeys(regions):
        if wanted.resume:
            rewrapped, skipped = key_service.rewrap_region(
                sessions=vault.session, keys=vault.keys, region=name, clock=vault.records.clock
            )
            version = vault.keys.masters.primary_version(name)
        else:
            report = key_service.rotate(
                sessions=vault.session, keys=vault.keys, region=name, clock=vault.records.clock
            )
            rewrapped, skipped, version = report.rewrapped, report.skipped, report.new_version
        with vault.session() as db_session:
            # Fields kept by law past an erasure have keys of their own under the master.
            rewrap_retention_keys(db_session=db_session, keys=vault.keys, region=name)
            vault.audit.record(
                db_session=db_session,
                event=AuditRecord(
                    actor=_actor(current),
                    operation="keys.rewrap" if wanted.resume else "keys.rotate",
                    detail={"region": name, "version": version, "rewrapped": rewrapped, "via": VIA},
                ),
            )
        done.append(KeyRotationRead(region=name, version=version, rewrapped=rewrapped,
                                    skipped=skipped))  # fmt: skip
    return done


@router.post(
    "/subjects/{subject_id}/export",
    summary="Export a customer's data (admin, dpo)",
    response_model=SubjectExportRead,
    responses={**_REFUSALS, 404: {"description": "No such customer."}},
)
def export_subject(
    subject_id: SubjectId,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> SubjectExportRead | JSONResponse:
    """Every record of a customer, decrypted; audited with the operator as actor."""
    current = _operator(request, vault, db_session, token, OperatorAction.EXPORT_SUBJECT)
    if isinstance(current, JSONResponse):
        return current
    event = AuditRecord(
        actor=_actor(current), operation="subject.export", subject_id=subject_id,
        detail={"via": VIA},
    )  # fmt: skip

    def described(export: SubjectExport) -> AuditRecord:
        return replace(event, detail={"records": len(export.records), "via": VIA})

    export = vault.audited(
        event,
        lambda s: vault.records.export_subject(db_session=s, subject_id=subject_id),
        described,
        db_session=db_session,
    )
    return SubjectExportRead(
        subject_id=export.subject_id,
        region=export.region,
        exported_at=export.exported_at,
        records=[
            ExportedRecordRead(
                id=r.id,
                collection=r.collection,
                subject_id=r.subject_id,
                region=r.region,
                version=r.version,
                created_at=r.created_at,
                updated_at=r.updated_at,
                values=dict(r.values),
            )
            for r in export.records
        ],
    )


@router.post(
    "/subjects/{subject_id}/erase",
    summary="Erase a customer (admin, dpo)",
    response_model=ErasureRead,
    responses={**_REFUSALS, 404: {"description": "No such customer."}},
)
def erase_subject(
    subject_id: SubjectId,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> ErasureRead | JSONResponse:
    """Crypto-shred a customer: destroy their key and delete every record. Irreversible."""
    current = _operator(request, vault, db_session, token, OperatorAction.ERASE_SUBJECT)
    if isinstance(current, JSONResponse):
        return current
    # Through the rights workflow: legal holds are honoured, legal-obligation fields kept, and
    # the operator gets the certificate a customer's own request would give.
    # The erasure logs its own events (the request's steps, subject.erase); this one is
    # written only for a refusal.
    event = AuditRecord(
        actor=_actor(current), operation="subject.erase", subject_id=subject_id,
        detail={"via": VIA},
    )  # fmt: skip
    done = vault.audited(
        event,
        lambda s: erase_directly(
            db_session=s, fulfiller=Fulfiller.of(vault), subject_id=subject_id,
            regime=vault.settings.rights.default_regime, at=vault.records.clock.now(),
            actor=_actor(current), reason="erased by an operator through the admin API",
        ),
        lambda _completed: [],
        db_session=db_session,
    )  # fmt: skip
    return ErasureRead(
        subject_id=subject_id,
        request_id=done.request.id,
        records_deleted=int(str(done.done["records"])),
        retained_fields=int(str(done.done["legal_obligation_fields"])),
        erased_at=datetime.fromisoformat(str(done.done["erased_at"])),
        certificate=done.certificate or {},
    )
