"""Authentication rules and primitives: passwords, TOTP, recovery codes, throttling.

Pure and database-free; services wire these to storage, sessions and routes.
"""

from __future__ import annotations

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
from privault.auth.recovery import (
    RECOVERY_CODE_BITS,
    generate_recovery_codes,
    hash_recovery_code,
    normalise_recovery_code,
    verify_recovery_code,
)
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
    "RECOVERY_CODE_BITS",
    "Argon2Parameters",
    "AttemptDecision",
    "BreachedPasswordList",
    "FailurePolicy",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordReason",
    "PasswordVerdict",
    "Pepper",
    "SlidingWindowLimit",
    "StuffingPolicy",
    "StuffingSignal",
    "TotpParameters",
    "WindowDecision",
    "check_address_limits",
    "check_password",
    "detect_credential_stuffing",
    "generate_recovery_codes",
    "hash_recovery_code",
    "new_totp_secret",
    "normalise_password",
    "normalise_recovery_code",
    "provisioning_uri",
    "totp_step",
    "verify_recovery_code",
    "verify_totp",
]
