"""``/v1/auth/webauthn``: security keys and passkeys (register, log in, list, remove)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import JSONResponse

from privault.api.deps import SessionDep, VaultDep
from privault.api.routes.auth.common import (
    REFUSALS,
    WEBAUTHN_REFUSALS,
    SessionCookie,
    authenticator,
    client_address,
    current_of,
    options_answer,
    refused,
    session_answer,
)
from privault.auth import Refusal
from privault.auth.schemas import (
    SessionStateRead,
    WebAuthnCredentialRead,
    WebAuthnOptionsRead,
    WebAuthnRegisteredRead,
    WebAuthnResponseCreate,
)

router = APIRouter()


@router.post(
    "/webauthn/register/options",
    summary="Start registering a security key or passkey",
    response_model=WebAuthnOptionsRead,
    responses=WEBAUTHN_REFUSALS,
)
def start_webauthn_registration(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.create()`; needs a re-authentication in the last
    minutes (`/v1/auth/reauth`)."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.start_webauthn_registration(db_session=db_session, current=current)
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return options_answer(result)


@router.post(
    "/webauthn/register",
    summary="Finish registering a security key or passkey",
    response_model=WebAuthnRegisteredRead,
    responses={**WEBAUTHN_REFUSALS, 409: {"description": "The key is already registered."}},
)
def finish_webauthn_registration(
    body: WebAuthnResponseCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> WebAuthnRegisteredRead | JSONResponse:
    """Verify the browser's answer and store the key; other sessions end."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.finish_webauthn_registration(
        db_session=db_session,
        current=current,
        challenge_id=body.challenge_id,
        credential=body.credential,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return WebAuthnRegisteredRead(
        credential=WebAuthnCredentialRead.model_validate(result.credential, from_attributes=True),
        recovery_codes=result.recovery_codes,
    )


@router.post(
    "/webauthn/login/options",
    summary="Start presenting a security key",
    response_model=WebAuthnOptionsRead,
    responses={**WEBAUTHN_REFUSALS, 409: {"description": "The account has no security key."}},
)
def start_webauthn_login(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.get()`, after a password login (`mfa_pending`)."""
    auth = authenticator(request, vault)
    result = auth.start_webauthn_login(db_session=db_session, token=token)
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return options_answer(result)


@router.post(
    "/webauthn/login",
    summary="Present a security key as the second factor",
    response_model=SessionStateRead,
    responses=WEBAUTHN_REFUSALS,
)
def finish_webauthn_login(
    body: WebAuthnResponseCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Complete the login with the key's signed answer; a new session token is set."""
    auth = authenticator(request, vault)
    result = auth.finish_webauthn_login(
        db_session=db_session,
        token=token,
        address=client_address(request, vault),
        challenge_id=body.challenge_id,
        credential=body.credential,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result.session)


@router.post(
    "/webauthn/passkey/options",
    summary="Start a passwordless login with a passkey",
    response_model=WebAuthnOptionsRead,
    responses=WEBAUTHN_REFUSALS,
)
def start_passkey_login(
    request: Request, vault: VaultDep, db_session: SessionDep
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.get()` naming no account (customers only)."""
    auth = authenticator(request, vault)
    result = auth.start_passkey_login(db_session=db_session, address=client_address(request, vault))
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return options_answer(result)


@router.post(
    "/webauthn/passkey",
    summary="Log in with a passkey alone",
    response_model=SessionStateRead,
    responses=WEBAUTHN_REFUSALS,
)
def finish_passkey_login(
    body: WebAuthnResponseCreate, request: Request, vault: VaultDep, db_session: SessionDep
) -> JSONResponse:
    """Verify the passkey (user verification required); sets an active session cookie."""
    auth = authenticator(request, vault)
    result = auth.finish_passkey_login(
        db_session=db_session,
        address=client_address(request, vault),
        challenge_id=body.challenge_id,
        credential=body.credential,
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return session_answer(auth, result)


@router.get(
    "/webauthn/credentials",
    summary="List my security keys and passkeys",
    responses={401: REFUSALS[401]},
)
def list_webauthn_credentials(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> list[WebAuthnCredentialRead]:
    """The caller's registered keys (ids, times, transports; never key material)."""
    auth, current = current_of(request, vault, db_session, token)
    views = auth.list_webauthn_credentials(db_session=db_session, current=current)
    return [WebAuthnCredentialRead.model_validate(view, from_attributes=True) for view in views]


@router.delete(
    "/webauthn/credentials/{credential_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a security key or passkey",
    responses={**REFUSALS, 404: {"description": "No such key of yours."}},
)
def remove_webauthn_credential(
    credential_id: Annotated[str, Path(max_length=64, description="A key id from the list.")],
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> Response:
    """Remove one of the caller's keys; needs a re-authentication in the last minutes."""
    auth, current = current_of(request, vault, db_session, token)
    result = auth.remove_webauthn_credential(
        db_session=db_session, current=current, credential_id=credential_id
    )
    if isinstance(result, Refusal):
        return refused(request, auth, result.error)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
