"""``/v1/auth/email``: changing the login e-mail address (re-authentication, then a code sent
to the new address)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
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
    EmailChangeConfirm,
    EmailChangeCreate,
    EmailChangedRead,
    RegistrationRead,
)

router = APIRouter()


@router.post(
    "/email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask to change the login address",
    response_model=RegistrationRead,
    responses={**REFUSALS, 422: {"description": "Not an address, or the current one."}},
)
def request_email_change(
    body: EmailChangeCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> RegistrationRead | JSONResponse:
    """Send a code to the new address and a notice to the current one. Needs a step-up within
    `auth.step_up_s`, or the password (and TOTP code) in the body. The answer is the same
    whether or not the new address already has an account."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.request_email_change(
        db_session=db_session,
        current=current,
        new_email=body.new_email,
        address=client_address(request, vault),
        password=body.password,
        code=body.code,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return RegistrationRead(
        detail="If the address can be used, a code is on its way to it; enter it to finish."
    )


@router.post(
    "/email/confirm",
    summary="Confirm the new login address",
    response_model=EmailChangedRead,
    responses={**REFUSALS, 409: {"description": "The address was taken meanwhile."}},
)
def confirm_email_change(
    body: EmailChangeConfirm,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> EmailChangedRead | JSONResponse:
    """Enter the code sent to the new address (single use, expiring); the address becomes the
    login and every other session ends."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.confirm_email_change(
        db_session=db_session,
        current=current,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return EmailChangedRead()
