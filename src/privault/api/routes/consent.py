"""``/v1/subjects/{subject_id}/consents``: record and withdraw a customer's consent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from privault.api.deps import PrincipalDep, SessionDep, VaultDep
from privault.audit import AuditRecord
from privault.consent import (
    ConsentChange,
    ConsentRead,
    ConsentState,
    current_consent,
    grant_consent,
    withdraw_consent,
)
from privault.errors import NotFound, PermissionDenied
from privault.policy import Principal
from privault.vault import Vault

router = APIRouter(prefix="/v1/subjects", tags=["consent"])

SubjectId = Annotated[
    str,
    Path(min_length=1, max_length=255, description="The shop's customer id.", examples=["C-1001"]),
]
PurposeName = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="A purpose declared in the data map.",
        examples=["marketing"],
    ),
]


def _may_record_consent(vault: Vault, principal: Principal) -> None:
    """Consent is recorded by the shop's backend: a role that may write customer records."""
    role = vault.datamap.roles.get(principal.role)
    if role is None or not role.write:
        raise PermissionDenied(
            "this API key's role may not record consent", code="consent_not_granted"
        )


def _read(state: ConsentState) -> ConsentRead:
    return ConsentRead.model_validate(state, from_attributes=True)


def _change(
    *,
    vault: Vault,
    db_session: SessionDep,
    principal: Principal,
    subject_id: str,
    purpose: str,
    change: ConsentChange,
    grant: bool,
) -> ConsentRead:
    _may_record_consent(vault, principal)
    record = grant_consent if grant else withdraw_consent
    state = record(
        db_session=db_session,
        datamap=vault.datamap,
        subject_id=subject_id,
        purpose=purpose,
        source=change.source,
        notice_version=change.notice_version,
        at=vault.records.clock.now(),
    )
    vault.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=principal.key_id,
            operation="consent.grant" if grant else "consent.withdraw",
            purpose=purpose,
            subject_id=subject_id,
            detail={"source": str(change.source)},
        ),
    )
    return _read(state)


@router.post(
    "/{subject_id}/consents/{purpose}",
    summary="Record consent",
    responses={403: {"description": "The key's role may not record consent."}},
)
def grant(
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    change: Annotated[ConsentChange | None, Body()] = None,
) -> ConsentRead:
    """Record that the customer consents to the purpose (one append-only event)."""
    return _change(
        vault=vault, db_session=db_session, principal=principal, subject_id=subject_id,
        purpose=purpose, change=change or ConsentChange(), grant=True,
    )  # fmt: skip


@router.delete(
    "/{subject_id}/consents/{purpose}",
    summary="Withdraw consent",
    responses={403: {"description": "The key's role may not record consent."}},
)
def withdraw(
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> ConsentRead:
    """Withdraw the customer's consent to the purpose: one call, as easy as granting."""
    return _change(
        vault=vault, db_session=db_session, principal=principal, subject_id=subject_id,
        purpose=purpose, change=ConsentChange(), grant=False,
    )  # fmt: skip


@router.get("/{subject_id}/consents/{purpose}", summary="Current consent")
def current(
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> ConsentRead:
    """The customer's current consent state for the purpose."""
    _may_record_consent(vault, principal)
    state = current_consent(db_session=db_session, subject_id=subject_id, purpose=purpose)
    if state is None:
        raise NotFound("no consent recorded for this customer and purpose", code="no_consent")
    return _read(state)
