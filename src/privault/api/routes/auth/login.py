"""``/v1/auth``: registration, password login and the second factor at login."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.auth.common import (
    REFUSALS,
    SessionCookie,
    authenticator,
    client_address,
    limit_account_requests,
    refused,
    session_answer,
)
from privault.auth import AccountKind, PasswordRejectedError, Refusal
from privault.auth.schemas import (
    LoginCreate,
    RegistrationCreate,
    RegistrationRead,
    SecondFactorCreate,
    SessionStateRead,
)

router = APIRouter()


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistrationRead,
    summary="Register a customer",
    responses={422: {"description": "Malformed input, or a password that breaks the rules."}},
)
def register(
    body: RegistrationCreate, request: Request, vault: VaultDep, db_session: SessionDep
) -> RegistrationRead | JSONResponse:
    """Create a customer account. The answer is the same if the address already has one."""
    limit_account_requests(request, vault)
    auth = authenticator(request, vault)
    try:
        auth.register(
            db_session=db_session, login=body.email, password=body.password, name=body.name
        )
    except PasswordRejectedError as exc:
        return refused(request, auth, exc)
    return RegistrationRead(
        detail="If the address can be registered, the account is ready: log in with it."
    )


@router.post("/login", summary="Log in", response_model=SessionStateRead, responses=REFUSALS)
def login(
    body: LoginCreate, request: Request, vault: VaultDep, db_session: SessionDep
) -> JSONResponse:
    """Check the password; set the session cookie (stage `mfa_pending` if a second factor is
    needed next)."""
    auth = authenticator(request, vault)
    result = auth.login(
        db_session=db_session,
        login=body.email,
        password=body.password,
        address=client_address(request, vault),
        kind=AccountKind(body.account_kind),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result)


@router.post(
    "/mfa/verify",
    summary="Present the second factor",
    response_model=SessionStateRead,
    responses=REFUSALS,
)
def verify_second_factor(
    body: SecondFactorCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Complete the login with a TOTP code or a recovery code; a new session token is set."""
    auth = authenticator(request, vault)
    result = auth.verify_second_factor(
        db_session=db_session,
        token=token,
        address=client_address(request, vault),
        code=body.code,
        recovery_code=body.recovery_code,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result.session, recovery_codes=result.recovery_codes)
