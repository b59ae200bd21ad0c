"""``/v1/auth``: who is logged in, sessions, logout, and step-up re-authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import JSONResponse

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.auth.common import (
    REFUSALS,
    WEBAUTHN_REFUSALS,
    SessionCookie,
    clear_cookie,
    client_address,
    current_of,
    options_answer,
    refused,
    session_answer,
)
from privault.auth import Refusal
from privault.auth.schemas import (
    AccountRead,
    PasswordProof,
    SessionRead,
    SessionStateRead,
    WebAuthnOptionsRead,
    WebAuthnStepUpCreate,
)

router = APIRouter()


@router.post(
    "/reauth",
    summary="Re-authenticate (step-up)",
    response_model=SessionStateRead,
    responses=REFUSALS,
)
def reauthenticate(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Prove the password (and TOTP code) again before a sensitive operation; new token. An
    account whose only second factor is a security key steps up at `/v1/auth/reauth/webauthn`."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.reauthenticate(
        db_session=db_session,
        current=current,
        password=body.password,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result)


@router.get("/me", summary="Who is logged in", responses={401: REFUSALS[401]})
def me(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> AccountRead:
    """The account and session behind the cookie."""
    _, current = current_of(request, vault, db_session, token)
    return AccountRead(
        account_id=current.account_id,
        kind=current.kind,
        role=current.role,
        session_id=current.session_id,
        authenticated_at=current.authenticated_at,
    )


@router.get("/sessions", summary="List my sessions", responses={401: REFUSALS[401]})
def list_sessions(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> list[SessionRead]:
    """The caller's live sessions (ids, times; never tokens)."""
    auth, current = current_of(request, vault, db_session, token)
    views = auth.list_sessions(db_session=db_session, current=current)
    return [SessionRead.model_validate(view, from_attributes=True) for view in views]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End one of my sessions",
    responses={401: REFUSALS[401], 404: {"description": "No such session of yours."}},
)
def end_session(
    session_id: Annotated[str, Path(max_length=64, description="A session id from the list.")],
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> Response:
    """End a session of the caller's (e.g. a forgotten browser)."""
    auth, current = current_of(request, vault, db_session, token)
    auth.end_session(db_session=db_session, current=current, session_id=session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if session_id == current.session_id:
        clear_cookie(response)
    return response


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    responses={401: REFUSALS[401]},
)
def logout(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> Response:
    """End the current session and clear the cookie."""
    auth, current = current_of(request, vault, db_session, token)
    auth.end_session(db_session=db_session, current=current, session_id=current.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_cookie(response)
    return response


@router.post(
    "/reauth/webauthn/options",
    summary="Start a step-up with a security key or passkey",
    response_model=WebAuthnOptionsRead,
    responses={**WEBAUTHN_REFUSALS, 409: {"description": "The account has no security key."}},
)
def start_webauthn_step_up(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.get()` to re-authenticate with one of the caller's
    keys (the step-up of an account whose second factor is a security key)."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.start_webauthn_step_up(db_session=db_session, current=current)
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return options_answer(result)


@router.post(
    "/reauth/webauthn",
    summary="Re-authenticate with a security key or passkey (step-up)",
    response_model=SessionStateRead,
    responses=WEBAUTHN_REFUSALS,
)
def finish_webauthn_step_up(
    body: WebAuthnStepUpCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Verify the key's answer (with the password, or with user verification on the key);
    a new session token is set and sensitive operations are open for `auth.step_up_s`."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.finish_webauthn_step_up(
        db_session=db_session,
        current=current,
        address=client_address(request, vault),
        challenge_id=body.challenge_id,
        credential=body.credential,
        password=body.password,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result)
