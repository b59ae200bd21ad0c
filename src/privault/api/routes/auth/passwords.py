"""``/v1/auth/password``: changing the password, and resetting it with an e-mailed token."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.auth.common import (
    REFUSALS,
    SessionCookie,
    authenticator,
    client_address,
    current_of,
    limit_account_requests,
    refused,
    session_answer,
)
from privault.auth import AccountKind, Refusal
from privault.auth.schemas import (
    PasswordChange,
    PasswordReset,
    PasswordResetRequest,
    RegistrationRead,
    ResetDoneRead,
    SessionStateRead,
)

router = APIRouter()


@router.post(
    "/password",
    summary="Change the password",
    response_model=SessionStateRead,
    responses={**REFUSALS, 422: {"description": "The new password breaks the rules."}},
)
def change_password(
    body: PasswordChange,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Change the password (current one required); every session ends, a new one is set."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.change_password(
        db_session=db_session,
        current=current,
        current_password=body.current_password,
        new_password=body.new_password,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result)


@router.post(
    "/password/reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistrationRead,
    summary="Ask for a password reset",
)
def request_password_reset(
    body: PasswordResetRequest, request: Request, vault: VaultDep, db_session: SessionDep
) -> RegistrationRead:
    """Send a single-use reset token to the address if it has an account; same answer if not."""
    limit_account_requests(request, vault)
    authenticator(request, vault).request_password_reset(
        db_session=db_session, login=body.email, kind=AccountKind(body.account_kind)
    )
    return RegistrationRead(detail="If the address has an account, a reset token is on its way.")


@router.post(
    "/password/reset",
    summary="Reset the password with a token",
    response_model=ResetDoneRead,
    responses={**REFUSALS, 422: {"description": "The new password breaks the rules."}},
)
def reset_password(
    body: PasswordReset, request: Request, vault: VaultDep, db_session: SessionDep
) -> ResetDoneRead | JSONResponse:
    """Set a new password with the emailed token (and the second factor, if any); every session
    of the account ends. Log in afterwards."""
    auth = authenticator(request, vault)
    result = auth.reset_password(
        db_session=db_session,
        token=body.token,
        new_password=body.new_password,
        address=client_address(request, vault),
        code=body.code,
        recovery_code=body.recovery_code,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return ResetDoneRead(recovery_codes=result.recovery_codes)
