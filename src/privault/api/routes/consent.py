"""Consent: ``/v1/subjects/{subject_id}/consents`` records, withdraws and proves a customer's
consent; ``/v1/consent/notices`` serves the published notices to the shop's storefront."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Body, Path, Query, Request

from privault.api.deps import PrincipalDep, SessionDep, VaultDep
from privault.api.routes.auth import client_address
from privault.audit import AuditRecord
from privault.consent import (
    ORIGIN_KEY_LABEL,
    ConsentAction,
    ConsentChange,
    ConsentChangeRead,
    ConsentNotice,
    ConsentRead,
    ConsentState,
    NoticeRead,
    SignedReceipt,
    current_consent,
    find_notice,
    issue_receipt,
    latest_receipt,
    origin_pseudonym,
    record_consent,
)
from privault.errors import NotFound, PermissionDenied
from privault.policy import Principal
from privault.vault import Vault

router = APIRouter(prefix="/v1", tags=["consent"])

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
NoticeVersion = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="A published notice version.",
        examples=["2024-05"],
    ),
]
Language = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=35,
        description="BCP 47 language wanted; falls back to less specific tags, then the "
        "default language.",
        examples=["de-AT"],
    ),
]


@dataclass(frozen=True)
class _ReceiptKeys:
    """What consent routes sign and pseudonymise with, loaded once per app and vault."""

    vault: Vault
    signing_key: Ed25519PrivateKey
    origin_key: bytes
    controller: str | None


def _keys(request: Request, vault: Vault) -> _ReceiptKeys:
    """The keys of this app's vault (read from the key store on first use only)."""
    state = request.app.state
    keys: _ReceiptKeys | None = getattr(state, "consent_keys", None)
    if keys is None or keys.vault is not vault:
        keys = _ReceiptKeys(
            vault=vault,
            signing_key=vault.keys.audit_signing_key(),
            origin_key=vault.keys.derived.derive(ORIGIN_KEY_LABEL),
            controller=vault.settings.consent.controller_name or vault.datamap.shop,
        )
        state.consent_keys = keys
    return keys


def _may_record_consent(vault: Vault, principal: Principal) -> None:
    """Consent is recorded by the shop's backend: a role that may write customer records."""
    role = vault.datamap.roles.get(principal.role)
    if role is None or not role.write:
        raise PermissionDenied(
            "this API key's role may not record consent", code="consent_not_granted"
        )


def _read(state: ConsentState) -> ConsentRead:
    return ConsentRead.model_validate(state, from_attributes=True)


def _receipt_path(request: Request, subject_id: str, purpose: str) -> str:
    return str(request.app.url_path_for("consent_receipt", subject_id=subject_id, purpose=purpose))


def _change(
    *,
    request: Request,
    vault: Vault,
    db_session: SessionDep,
    principal: Principal,
    subject_id: str,
    purpose: str,
    change: ConsentChange,
    action: ConsentAction,
) -> ConsentChangeRead:
    _may_record_consent(vault, principal)
    keys = _keys(request, vault)
    recorded = record_consent(
        db_session=db_session,
        datamap=vault.datamap,
        subject_id=subject_id,
        purpose=purpose,
        action=action,
        source=change.source,
        at=vault.records.clock.now(),
        notice_version=change.notice_version,
        notice_language=change.notice_language,
        default_language=vault.settings.consent.default_language,
        # Only the keyed pseudonym is stored; the address itself goes nowhere.
        origin=origin_pseudonym(keys.origin_key, client_address(request, vault)),
    )
    vault.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=principal.key_id,
            operation=f"consent.{action.value}",
            purpose=purpose,
            subject_id=subject_id,
            detail={"source": str(change.source), "receipt": recorded.event.id},
        ),
    )
    receipt = issue_receipt(
        db_session=db_session,
        event=recorded.event,
        signing_key=keys.signing_key,
        controller=keys.controller,
        notice_sha256=recorded.notice_sha256,
    )
    return ConsentChangeRead(
        **_read(recorded.state).model_dump(),
        receipt=SignedReceipt.model_validate(receipt),
        receipt_url=_receipt_path(request, subject_id, purpose),
    )


@router.post(
    "/subjects/{subject_id}/consents/{purpose}",
    summary="Record consent",
    responses={
        403: {"description": "The key's role may not record consent."},
        422: {"description": "Unknown purpose, or a notice version that is not published."},
    },
)
def grant(
    request: Request,
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    change: Annotated[ConsentChange | None, Body()] = None,
) -> ConsentChangeRead:
    """Record that the customer consents to the purpose (one append-only event, with receipt)."""
    return _change(
        request=request, vault=vault, db_session=db_session, principal=principal,
        subject_id=subject_id, purpose=purpose, change=change or ConsentChange(),
        action=ConsentAction.GRANT,
    )  # fmt: skip


@router.delete(
    "/subjects/{subject_id}/consents/{purpose}",
    summary="Withdraw consent",
    responses={403: {"description": "The key's role may not record consent."}},
)
def withdraw(
    request: Request,
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    change: Annotated[ConsentChange | None, Body()] = None,
) -> ConsentChangeRead:
    """Withdraw the customer's consent to the purpose: one call, as easy as granting.

    The body is optional, as for a grant. For a purpose on legitimate interest, a withdrawal
    is the customer's objection: reads for the purpose are refused until a later grant.
    """
    return _change(
        request=request, vault=vault, db_session=db_session, principal=principal,
        subject_id=subject_id, purpose=purpose, change=change or ConsentChange(),
        action=ConsentAction.WITHDRAW,
    )  # fmt: skip


@router.get("/subjects/{subject_id}/consents/{purpose}", summary="Current consent")
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


@router.get(
    "/subjects/{subject_id}/consents/{purpose}/receipt",
    name="consent_receipt",
    summary="Consent receipt",
    responses={404: {"description": "No consent recorded for this customer and purpose."}},
)
def receipt(
    request: Request,
    subject_id: SubjectId,
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> SignedReceipt:
    """The signed receipt of the customer's latest decision on the purpose, to hand over."""
    _may_record_consent(vault, principal)
    keys = _keys(request, vault)
    document: dict[str, Any] = latest_receipt(
        db_session=db_session,
        subject_id=subject_id,
        purpose=purpose,
        signing_key=keys.signing_key,
        controller=keys.controller,
    )
    return SignedReceipt.model_validate(document)


def _notice(notice: ConsentNotice) -> NoticeRead:
    return NoticeRead.model_validate(notice, from_attributes=True)


@router.get(
    "/consent/notices/{purpose}",
    summary="Latest consent notice",
    responses={
        404: {"description": "No notice published for the purpose (in any fallback language)."},
        422: {"description": "A purpose the data map does not declare, or a bad language tag."},
    },
)
def latest_notice(
    purpose: PurposeName,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    language: Language = None,
) -> NoticeRead:
    """The latest version of the purpose's notice, in the language asked for or its fallbacks."""
    return _notice(
        find_notice(
            db_session=db_session,
            datamap=vault.datamap,
            purpose=purpose,
            default_language=vault.settings.consent.default_language,
            language=language,
        )
    )


@router.get(
    "/consent/notices/{purpose}/versions/{version}",
    summary="One version of a consent notice",
    responses={
        404: {"description": "The version is not published (in any fallback language)."},
        422: {"description": "A purpose the data map does not declare, or a bad language tag."},
    },
)
def notice_version(
    purpose: PurposeName,
    version: NoticeVersion,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    language: Language = None,
) -> NoticeRead:
    """One version of the purpose's notice, in the language asked for or its fallbacks."""
    return _notice(
        find_notice(
            db_session=db_session,
            datamap=vault.datamap,
            purpose=purpose,
            default_language=vault.settings.consent.default_language,
            version=version,
            language=language,
        )
    )
