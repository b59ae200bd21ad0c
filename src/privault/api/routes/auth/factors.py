"""``/v1/auth/mfa``: adding an authenticator app (TOTP) and replacing recovery codes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.auth.common import (
    REFUSALS,
    SessionCookie,
    client_address,
    current_of,
    refused,
)
from privault.auth import Refusal
from privault.auth.schemas import (
    PasswordProof,
    RecoveryCodesRead,
    TotpConfirm,
    TotpEnrolmentRead,
)

router = APIRouter()


@router.post(
    "/mfa/totp",
    summary="Start adding an authenticator app",
    response_model=TotpEnrolmentRead,
    responses={**REFUSALS, 409: {"description": "An authenticator is already set up."}},
)
def start_totp(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> TotpEnrolmentRead | JSONResponse:
    """Re-authenticate with the password; get a new TOTP secret to confirm with a code."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.start_totp(
        db_session=db_session,
        current=current,
        password=body.password,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return TotpEnrolmentRead(secret=result.secret, uri=result.uri)


@router.post(
    "/mfa/totp/confirm",
    summary="Confirm the authenticator app",
    response_model=RecoveryCodesRead,
    responses=REFUSALS,
)
def confirm_totp(
    body: TotpConfirm,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> RecoveryCodesRead | JSONResponse:
    """Confirm with a first code; returns the recovery codes (shown once)."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.confirm_totp(
        db_session=db_session,
        current=current,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return RecoveryCodesRead(recovery_codes=result)


@router.post(
    "/mfa/recovery-codes",
    summary="Replace the recovery codes",
    response_model=RecoveryCodesRead,
    responses=REFUSALS,
)
def regenerate_recovery_codes(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> RecoveryCodesRead | JSONResponse:
    """Re-authenticate (password and TOTP code); get a new set of recovery codes."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.regenerate_recovery_codes(
        db_session=db_session,
        current=current,
        password=body.password,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return RecoveryCodesRead(recovery_codes=result)
