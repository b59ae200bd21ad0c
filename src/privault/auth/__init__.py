"""Authentication of customers and operators: passwords, TOTP, recovery codes, throttling,
sessions and the notification outbox.

The rules (passwords, totp, recovery, throttle) are pure; ``Authenticator`` wires them to the
database, the audit log and the outbox.
"""

from __future__ import annotations

from privault.auth.factors import TotpEnrolment
from privault.auth.guard import LockedError, Refusal, ThrottledError
from privault.auth.keys import AuthKeys, normalise_login
from privault.auth.models import AccountKind, OperatorRole, SessionStage
from privault.auth.outbox import (
    Notification,
    Sender,
    SmtpSender,
    deliver_pending,
    enqueue_to,
    messages_for,
)
from privault.auth.outbox import read as read_message
from privault.auth.passkeys import CredentialView
from privault.auth.passwords import (
    DEFAULT_MAX_PASSWORD_LENGTH,
    Argon2Parameters,
    BreachedPasswordList,
    PasswordHasher,
    PasswordPolicy,
    PasswordReason,
    PasswordVerdict,
    Pepper,
    check_password,
    normalise_password,
)
from privault.auth.permissions import OPERATOR_PERMISSIONS, OperatorAction, operator_may
from privault.auth.recovery import (
    RECOVERY_CODE_BITS,
    generate_recovery_codes,
    hash_recovery_code,
    normalise_recovery_code,
    verify_recovery_code,
)
from privault.auth.service import (
    Authenticator,
    NewOperator,
    PasswordRejectedError,
    ResetResult,
    SecondFactorResult,
    WebAuthnOptions,
    WebAuthnRegistered,
)
from privault.auth.sessions import CurrentSession, IssuedSession, SessionTimeouts, SessionView
from privault.auth.throttle import (
    DEFAULT_ADDRESS_LIMITS,
    AttemptDecision,
    FailurePolicy,
    SlidingWindowLimit,
    StuffingPolicy,
    StuffingSignal,
    WindowDecision,
    check_address_limits,
    detect_credential_stuffing,
)
from privault.auth.totp import (
    TotpParameters,
    new_totp_secret,
    provisioning_uri,
    totp_step,
    verify_totp,
)

__all__ = [
    "DEFAULT_ADDRESS_LIMITS",
    "DEFAULT_MAX_PASSWORD_LENGTH",
    "OPERATOR_PERMISSIONS",
    "RECOVERY_CODE_BITS",
    "AccountKind",
    "Argon2Parameters",
    "AttemptDecision",
    "AuthKeys",
    "Authenticator",
    "BreachedPasswordList",
    "CredentialView",
    "CurrentSession",
    "FailurePolicy",
    "IssuedSession",
    "LockedError",
    "NewOperator",
    "Notification",
    "OperatorAction",
    "OperatorRole",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordReason",
    "PasswordRejectedError",
    "PasswordVerdict",
    "Pepper",
    "Refusal",
    "ResetResult",
    "SecondFactorResult",
    "Sender",
    "SessionStage",
    "SessionTimeouts",
    "SessionView",
    "SlidingWindowLimit",
    "SmtpSender",
    "StuffingPolicy",
    "StuffingSignal",
    "ThrottledError",
    "TotpEnrolment",
    "TotpParameters",
    "WebAuthnOptions",
    "WebAuthnRegistered",
    "WindowDecision",
    "check_address_limits",
    "check_password",
    "deliver_pending",
    "detect_credential_stuffing",
    "enqueue_to",
    "generate_recovery_codes",
    "hash_recovery_code",
    "messages_for",
    "new_totp_secret",
    "normalise_login",
    "normalise_password",
    "normalise_recovery_code",
    "operator_may",
    "provisioning_uri",
    "read_message",
    "totp_step",
    "verify_recovery_code",
    "verify_totp",
]
