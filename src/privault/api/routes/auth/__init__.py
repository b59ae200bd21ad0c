"""``/v1/auth/...``: registration, login, second factors (TOTP, recovery codes, WebAuthn),
password change and reset, sessions, step-up re-authentication, login e-mail change.

One router under ``/v1/auth``, assembled from a module per concern.
"""

from __future__ import annotations

from fastapi import APIRouter

from privault.api.routes.auth import email, factors, login, passwords, sessions, webauthn
from privault.api.routes.auth.common import (
    COOKIE_NAME,
    SessionCookie,
    authenticator,
    client_address,
    refused,
)

__all__ = ["COOKIE_NAME", "SessionCookie", "authenticator", "client_address", "refused", "router"]

router = APIRouter(prefix="/v1/auth", tags=["authentication"])
for _module in (login, factors, sessions, passwords, email, webauthn):
    router.include_router(_module.router)
