"""Use cases of authentication: register, log in, second factors, passwords, sessions.

``Authenticator`` is one object built once per process (its dummy hash costs one argon2 run);
its use cases are split by theme across this package's modules.
"""

from __future__ import annotations

from privault.auth.service.base import (
    NewOperator,
    PasswordRejectedError,
    ResetResult,
    SecondFactorResult,
)
from privault.auth.service.changes import AccountChanges
from privault.auth.service.email import EmailChanges
from privault.auth.service.login import Logins
from privault.auth.service.operators import OperatorGate
from privault.auth.service.passkey_login import PasskeyLogins
from privault.auth.service.step_up import StepUps
from privault.auth.service.webauthn import WebAuthnOptions, WebAuthnRegistered

__all__ = [
    "Authenticator",
    "NewOperator",
    "PasswordRejectedError",
    "ResetResult",
    "SecondFactorResult",
    "WebAuthnOptions",
    "WebAuthnRegistered",
]


class Authenticator(Logins, AccountChanges, EmailChanges, PasskeyLogins, StepUps, OperatorGate):
    """Authentication of customers and operators against the database."""
