"""What every ``/v1/auth`` module shares: the session cookie, the Authenticator, the answers.

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

from fastapi import Cookie, Request, Response
from fastapi.responses import JSONResponse

from privault.api.deps import RateLimitedError, SessionDep
from privault.api.errors import problem, status_for
from privault.api.middleware import RateLimiter
from privault.auth import (
    Authenticator,
    CurrentSession,
    IssuedSession,
    PasswordRejectedError,
    ThrottledError,
    WebAuthnOptions,
)
from privault.auth.schemas import SessionStateRead, WebAuthnOptionsRead
from privault.errors import PrivaultError
from privault.vault import Vault

COOKIE_NAME = "__Host-privault-session"
_BUILD_LOCK = threading.Lock()
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong credentials or code, or no valid session."},
    403: {"description": "Locked after 100 consecutive failures, or step-up required."},
    429: {"description": "Too many failures; `Retry-After` says when to try again."},
}
WEBAUTHN_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    503: {"description": "WebAuthn is not configured on this server."},
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


def limit_account_requests(request: Request, vault: Vault) -> None:
    """Registrations and reset requests per client address: each sends mail or costs a hash,
    so an address gets ``auth.account_requests_per_hour`` of them (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.account_request_limiter
    retry_after = limiter.check(client_address(request, vault), now=time.monotonic())
    if retry_after is not None:
        raise RateLimitedError(retry_after)


def refused(request: Request, auth: Authenticator, error: PrivaultError) -> JSONResponse:
    """The problem+json answer of a refusal (with Retry-After when throttled)."""
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


def with_cookie(response: Response, issued: IssuedSession, now: datetime) -> None:
    """Set the session cookie of a newly issued session."""
    response.set_cookie(
        COOKIE_NAME,
        issued.token,
        max_age=max(1, int((issued.expires_at - now).total_seconds())),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="strict")


def session_answer(
    auth: Authenticator, issued: IssuedSession, *, recovery_codes: list[str] | None = None
) -> JSONResponse:
    """The session's state as JSON, with its token in the cookie."""
    body = SessionStateRead(
        stage=issued.stage,
        expires_at=issued.expires_at,
        recovery_codes=recovery_codes,
    )
    response = JSONResponse(body.model_dump(mode="json"))
    with_cookie(response, issued, auth.clock.now())
    return response


def current_of(
    request: Request, vault: Vault, db_session: SessionDep, token: str | None
) -> tuple[Authenticator, CurrentSession]:
    """The Authenticator and the active session behind the cookie (401 without one)."""
    auth = authenticator(request, vault)
    return auth, auth.current(db_session=db_session, token=token)


def options_answer(result: WebAuthnOptions) -> WebAuthnOptionsRead:
    """A WebAuthn challenge as the browser needs it."""
    return WebAuthnOptionsRead(challenge_id=result.challenge_id, options=result.options)
