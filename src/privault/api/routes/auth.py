"""``/v1/auth/...``: registration, login, second factors (TOTP, recovery codes, WebAuthn),
password change, sessions.

The session token travels only in a ``__Host-`` cookie (Secure, HttpOnly, SameSite=Strict,
Path=/): never in a body, a URL or a log. A refused login is answered after its failure count and
audit event are committed (the service returns refusals instead of raising them).
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Path, Request, Response, status
from fastapi.responses import JSONResponse

from privault.api.deps import RateLimitedError, SessionDep, VaultDep
from privault.api.errors import problem, status_for
from privault.api.middleware import RateLimiter
from privault.auth import (
    AccountKind,
    Authenticator,
    CurrentSession,
    IssuedSession,
    PasswordRejectedError,
    Refusal,
    ThrottledError,
    WebAuthnOptions,
)
from privault.auth.schemas import (
    AccountRead,
    LoginCreate,
    PasswordChange,
    PasswordProof,
    PasswordReset,
    PasswordResetRequest,
    RecoveryCodesRead,
    RegistrationCreate,
    RegistrationRead,
    ResetDoneRead,
    SecondFactorCreate,
    SessionRead,
    SessionStateRead,
    TotpConfirm,
    TotpEnrolmentRead,
    WebAuthnCredentialRead,
    WebAuthnOptionsRead,
    WebAuthnRegisteredRead,
    WebAuthnResponseCreate,
)
from privault.errors import PrivaultError
from privault.vault import Vault

router = APIRouter(prefix="/v1/auth", tags=["authentication"])

COOKIE_NAME = "__Host-privault-session"
_BUILD_LOCK = threading.Lock()
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong credentials or code, or no valid session."},
    403: {"description": "Locked after 100 consecutive failures, or step-up required."},
    429: {"description": "Too many failures; `Retry-After` says when to try again."},
}

SessionCookie = Annotated[
    str | None,
    Cookie(alias=COOKIE_NAME, description="Session token set by login; sent by the browser."),
]


def authenticator(request: Request, vault: Vault) -> Authenticator:
    """The app's Authenticator, built on first use (its dummy hash costs one argon2 run)."""
    state = request.app.state
    existing: Authenticator | None = getattr(state, "authenticator", None)
    if existing is not None:
        return existing
    with _BUILD_LOCK:
        existing = getattr(state, "authenticator", None)
        if existing is None:
            existing = Authenticator.from_keys(
                vault.settings.auth,
                derived=vault.keys.derived,
                audit=vault.audit,
                clock=vault.records.clock,
            )
            state.authenticator = existing
    return existing


def client_address(request: Request, vault: Vault) -> str:
    """The end user's address: the configured proxy header, else the connection's peer."""
    header = vault.settings.auth.client_address_header
    if header:
        forwarded = request.headers.get(header, "")
        # The left-most entry is the original client in X-Forwarded-For style lists.
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first[:64]
    return request.client.host if request.client is not None else "unknown"


def _limit_account_requests(request: Request, vault: Vault) -> None:
    """Registrations and reset requests per client address: each sends mail or costs a hash,
    so an address gets ``auth.account_requests_per_hour`` of them (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.account_request_limiter
    retry_after = limiter.check(client_address(request, vault), now=time.monotonic())
    if retry_after is not None:
        raise RateLimitedError(retry_after)


def _refused(request: Request, auth: Authenticator, error: PrivaultError) -> JSONResponse:
    extra: dict[str, Any] = {}
    status_code = status_for(error)
    if isinstance(error, PasswordRejectedError):
        extra["reasons"] = [{"code": r.code, "guidance": r.guidance} for r in error.reasons]
    response_status = 429 if isinstance(error, ThrottledError) else status_code
    response = problem(
        response_status, detail=error.message, code=error.code, instance=request.url.path, **extra
    )
    if isinstance(error, ThrottledError):
        retry = (error.retry_at - auth.clock.now()).total_seconds()
        response.headers["Retry-After"] = str(max(1, math.ceil(retry)))
    return response


def _with_cookie(response: Response, issued: IssuedSession, now: datetime) -> None:
    response.set_cookie(
        COOKIE_NAME,
        issued.token,
        max_age=max(1, int((issued.expires_at - now).total_seconds())),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="strict")


def _session_answer(
    auth: Authenticator, issued: IssuedSession, *, recovery_codes: list[str] | None = None
) -> JSONResponse:
    body = SessionStateRead(
        stage=issued.stage,
        expires_at=issued.expires_at,
        recovery_codes=recovery_codes,
    )
    response = JSONResponse(body.model_dump(mode="json"))
    _with_cookie(response, issued, auth.clock.now())
    return response


def _current(
    request: Request, vault: Vault, db_session: SessionDep, token: str | None
) -> tuple[Authenticator, CurrentSession]:
    auth = authenticator(request, vault)
    return auth, auth.current(db_session=db_session, token=token)


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
    _limit_account_requests(request, vault)
    auth = authenticator(request, vault)
    try:
        auth.register(
            db_session=db_session, login=body.email, password=body.password, name=body.name
        )
    except PasswordRejectedError as exc:
        return _refused(request, auth, exc)
    return RegistrationRead(
        detail="If the address can be registered, the account is ready: log in with it."
    )


@router.post("/login", summary="Log in", response_model=SessionStateRead, responses=_REFUSALS)
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
        return _refused(request, auth, result.error)
    return _session_answer(auth, result)


@router.post(
    "/mfa/verify",
    summary="Present the second factor",
    response_model=SessionStateRead,
    responses=_REFUSALS,
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
        return _refused(request, auth, result.error)
    return _session_answer(auth, result.session, recovery_codes=result.recovery_codes)


@router.post(
    "/mfa/totp",
    summary="Start adding an authenticator app",
    response_model=TotpEnrolmentRead,
    responses={**_REFUSALS, 409: {"description": "An authenticator is already set up."}},
)
def start_totp(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> TotpEnrolmentRead | JSONResponse:
    """Re-authenticate with the password; get a new TOTP secret to confirm with a code."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.start_totp(
        db_session=db_session,
        current=current,
        password=body.password,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return TotpEnrolmentRead(secret=result.secret, uri=result.uri)


@router.post(
    "/mfa/totp/confirm",
    summary="Confirm the authenticator app",
    response_model=RecoveryCodesRead,
    responses=_REFUSALS,
)
def confirm_totp(
    body: TotpConfirm,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> RecoveryCodesRead | JSONResponse:
    """Confirm with a first code; returns the recovery codes (shown once)."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.confirm_totp(
        db_session=db_session,
        current=current,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return RecoveryCodesRead(recovery_codes=result)


@router.post(
    "/mfa/recovery-codes",
    summary="Replace the recovery codes",
    response_model=RecoveryCodesRead,
    responses=_REFUSALS,
)
def regenerate_recovery_codes(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> RecoveryCodesRead | JSONResponse:
    """Re-authenticate (password and TOTP code); get a new set of recovery codes."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.regenerate_recovery_codes(
        db_session=db_session,
        current=current,
        password=body.password,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return RecoveryCodesRead(recovery_codes=result)


@router.post(
    "/reauth", summary="Re-authenticate (step-up)", response_model=SessionStateRead,
    responses=_REFUSALS,
)  # fmt: skip
def reauthenticate(
    body: PasswordProof,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Prove the password (and TOTP code) again before a sensitive operation; new token."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.reauthenticate(
        db_session=db_session,
        current=current,
        password=body.password,
        code=body.code,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return _session_answer(auth, result)


@router.post(
    "/password",
    summary="Change the password",
    response_model=SessionStateRead,
    responses={**_REFUSALS, 422: {"description": "The new password breaks the rules."}},
)
def change_password(
    body: PasswordChange,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> JSONResponse:
    """Change the password (current one required); every session ends, a new one is set."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.change_password(
        db_session=db_session,
        current=current,
        current_password=body.current_password,
        new_password=body.new_password,
        address=client_address(request, vault),
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return _session_answer(auth, result)


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
    _limit_account_requests(request, vault)
    authenticator(request, vault).request_password_reset(
        db_session=db_session, login=body.email, kind=AccountKind(body.account_kind)
    )
    return RegistrationRead(detail="If the address has an account, a reset token is on its way.")


@router.post(
    "/password/reset",
    summary="Reset the password with a token",
    response_model=ResetDoneRead,
    responses={**_REFUSALS, 422: {"description": "The new password breaks the rules."}},
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
        return _refused(request, auth, result.error)
    return ResetDoneRead(recovery_codes=result.recovery_codes)


@router.get("/me", summary="Who is logged in", responses={401: _REFUSALS[401]})
def me(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> AccountRead:
    """The account and session behind the cookie."""
    _, current = _current(request, vault, db_session, token)
    return AccountRead(
        account_id=current.account_id,
        kind=current.kind,
        role=current.role,
        session_id=current.session_id,
        authenticated_at=current.authenticated_at,
    )


@router.get("/sessions", summary="List my sessions", responses={401: _REFUSALS[401]})
def list_sessions(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> list[SessionRead]:
    """The caller's live sessions (ids, times; never tokens)."""
    auth, current = _current(request, vault, db_session, token)
    views = auth.list_sessions(db_session=db_session, current=current)
    return [SessionRead.model_validate(view, from_attributes=True) for view in views]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End one of my sessions",
    responses={401: _REFUSALS[401], 404: {"description": "No such session of yours."}},
)
def end_session(
    session_id: Annotated[str, Path(max_length=64, description="A session id from the list.")],
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> Response:
    """End a session of the caller's (e.g. a forgotten browser)."""
    auth, current = _current(request, vault, db_session, token)
    auth.end_session(db_session=db_session, current=current, session_id=session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if session_id == current.session_id:
        _clear_cookie(response)
    return response


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    responses={401: _REFUSALS[401]},
)
def logout(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> Response:
    """End the current session and clear the cookie."""
    auth, current = _current(request, vault, db_session, token)
    auth.end_session(db_session=db_session, current=current, session_id=current.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_cookie(response)
    return response


# --- WebAuthn (security keys and passkeys) ----------------------------------------------------

_WEBAUTHN_REFUSALS: dict[int | str, dict[str, Any]] = {
    **_REFUSALS,
    503: {"description": "WebAuthn is not configured on this server."},
}


def _options_answer(result: WebAuthnOptions) -> WebAuthnOptionsRead:
    return WebAuthnOptionsRead(challenge_id=result.challenge_id, options=result.options)


@router.post(
    "/webauthn/register/options",
    summary="Start registering a security key or passkey",
    response_model=WebAuthnOptionsRead,
    responses=_WEBAUTHN_REFUSALS,
)
def start_webauthn_registration(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.create()`; needs a re-authentication in the last
    minutes (`/v1/auth/reauth`)."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.start_webauthn_registration(db_session=db_session, current=current)
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return _options_answer(result)


@router.post(
    "/webauthn/register",
    summary="Finish registering a security key or passkey",
    response_model=WebAuthnRegisteredRead,
    responses={**_WEBAUTHN_REFUSALS, 409: {"description": "The key is already registered."}},
)
def finish_webauthn_registration(
    body: WebAuthnResponseCreate,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> WebAuthnRegisteredRead | JSONResponse:
    """Verify the browser's answer and store the key; other sessions end."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.finish_webauthn_registration(
        db_session=db_session,
        current=current,
        challenge_id=body.challenge_id,
        credential=body.credential,
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return WebAuthnRegisteredRead(
        credential=WebAuthnCredentialRead.model_validate(result.credential, from_attributes=True),
        recovery_codes=result.recovery_codes,
    )


@router.post(
    "/webauthn/login/options",
    summary="Start presenting a security key",
    response_model=WebAuthnOptionsRead,
    responses={**_WEBAUTHN_REFUSALS, 409: {"description": "The account has no security key."}},
)
def start_webauthn_login(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.get()`, after a password login (`mfa_pending`)."""
    auth = authenticator(request, vault)
    result = auth.start_webauthn_login(db_session=db_session, token=token)
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return _options_answer(result)


@router.post(
    "/webauthn/login",
    summary="Present a security key as the second factor",
    response_model=SessionStateRead,
    responses=_WEBAUTHN_REFUSALS,
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
        return _refused(request, auth, result.error)
    return _session_answer(auth, result.session)


@router.post(
    "/webauthn/passkey/options",
    summary="Start a passwordless login with a passkey",
    response_model=WebAuthnOptionsRead,
    responses=_WEBAUTHN_REFUSALS,
)
def start_passkey_login(
    request: Request, vault: VaultDep, db_session: SessionDep
) -> WebAuthnOptionsRead | JSONResponse:
    """Options for `navigator.credentials.get()` naming no account (customers only)."""
    auth = authenticator(request, vault)
    result = auth.start_passkey_login(db_session=db_session, address=client_address(request, vault))
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return _options_answer(result)


@router.post(
    "/webauthn/passkey",
    summary="Log in with a passkey alone",
    response_model=SessionStateRead,
    responses=_WEBAUTHN_REFUSALS,
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
        return _refused(request, auth, result.error)
    return _session_answer(auth, result)


@router.get(
    "/webauthn/credentials",
    summary="List my security keys and passkeys",
    responses={401: _REFUSALS[401]},
)
def list_webauthn_credentials(
    request: Request, vault: VaultDep, db_session: SessionDep, token: SessionCookie = None
) -> list[WebAuthnCredentialRead]:
    """The caller's registered keys (ids, times, transports; never key material)."""
    auth, current = _current(request, vault, db_session, token)
    views = auth.list_webauthn_credentials(db_session=db_session, current=current)
    return [WebAuthnCredentialRead.model_validate(view, from_attributes=True) for view in views]


@router.delete(
    "/webauthn/credentials/{credential_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a security key or passkey",
    responses={**_REFUSALS, 404: {"description": "No such key of yours."}},
)
def remove_webauthn_credential(
    credential_id: Annotated[str, Path(max_length=64, description="A key id from the list.")],
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    token: SessionCookie = None,
) -> Response:
    """Remove one of the caller's keys; needs a re-authentication in the last minutes."""
    auth, current = _current(request, vault, db_session, token)
    result = auth.remove_webauthn_credential(
        db_session=db_session, current=current, credential_id=credential_id
    )
    if isinstance(result, Refusal):
        return _refused(request, auth, result.error)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
