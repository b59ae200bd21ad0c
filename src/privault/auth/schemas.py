"""What the auth endpoints take and give back (pydantic). Secrets go in, never out, except
the TOTP secret and recovery codes shown once to their owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Far above the password cap (1024 code points by default), so the service answers an over-long
# password with its own clear reason; anything longer is refused before it is even parsed.
_MAX_SECRET_INPUT = 4096
_MAX_LOGIN = 320

Email = Field(
    min_length=3, max_length=_MAX_LOGIN, description="Login name: an email address.",
    examples=["ada@example.com"],
)  # fmt: skip


class RegistrationCreate(BaseModel):
    """A new customer account."""

    model_config = ConfigDict(extra="forbid")

    email: str = Email
    password: str = Field(
        max_length=_MAX_SECRET_INPUT,
        description="At least 15 characters; no composition rules. Any Unicode is fine.",
    )
    name: str | None = Field(
        default=None, max_length=200, description="Used only to refuse passwords containing it."
    )


class RegistrationRead(BaseModel):
    """The same answer whether or not the address already had an account."""

    status: Literal["accepted"] = "accepted"
    detail: str = Field(description="What happens next.")


class LoginCreate(BaseModel):
    """Credentials for a login."""

    model_config = ConfigDict(extra="forbid")

    email: str = Email
    password: str = Field(max_length=_MAX_SECRET_INPUT, description="The account's password.")
    account_kind: Literal["customer", "operator"] = Field(
        default="customer", description="`operator` for privault staff accounts."
    )


class SessionStateRead(BaseModel):
    """Where the login stands; the token itself travels only in the cookie."""

    stage: Literal["mfa_pending", "active"] = Field(
        description="`mfa_pending`: present the second factor at `/v1/auth/mfa/verify` next."
    )
    expires_at: datetime = Field(description="When this session ends at the latest (UTC).")
    recovery_codes: list[str] | None = Field(
        default=None,
        description="A new set of recovery codes, when the last one was just used. Shown once.",
    )


class SecondFactorCreate(BaseModel):
    """A TOTP code or a recovery code."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(
        default=None, max_length=64, description="6-digit code from the authenticator app."
    )
    recovery_code: str | None = Field(
        default=None, max_length=64, description="One of the recovery codes (single use)."
    )


class PasswordProof(BaseModel):
    """Re-authentication: the current password, and a TOTP code when the account has one."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=_MAX_SECRET_INPUT, description="The current password.")
    code: str | None = Field(
        default=None, max_length=64, description="A TOTP code (accounts with an authenticator)."
    )


class TotpConfirm(BaseModel):
    """The first code of a new authenticator."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64, description="A code the app now shows.")


class TotpEnrolmentRead(BaseModel):
    """The new authenticator's secret, shown once: scan `uri` as a QR code."""

    secret: str = Field(description="Base32 secret (160 bits) for manual entry.")
    uri: str = Field(description="`otpauth://` URI for the QR code.")


class RecoveryCodesRead(BaseModel):
    """Recovery codes, shown once; each works once."""

    recovery_codes: list[str]


class PasswordChange(BaseModel):
    """A password change: proof of the current one and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=_MAX_SECRET_INPUT, description="Current password.")
    new_password: str = Field(max_length=_MAX_SECRET_INPUT, description="The new password.")


class PasswordResetRequest(BaseModel):
    """Ask for a reset token by email."""

    model_config = ConfigDict(extra="forbid")

    email: str = Email
    account_kind: Literal["customer", "operator"] = Field(default="customer")


class PasswordReset(BaseModel):
    """A new password with the emailed token, and the second factor if the account has one."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=128, description="The token from the reset message.")
    new_password: str = Field(max_length=_MAX_SECRET_INPUT, description="The new password.")
    code: str | None = Field(default=None, max_length=64, description="A TOTP code.")
    recovery_code: str | None = Field(
        default=None, max_length=64, description="Or a recovery code."
    )


class ResetDoneRead(BaseModel):
    """The password is reset; log in with it."""

    status: Literal["reset"] = "reset"
    recovery_codes: list[str] | None = Field(
        default=None, description="A new set, when the last recovery code was used. Shown once."
    )


class SessionRead(BaseModel):
    """One of the caller's sessions."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Session id (not the token).")
    created_at: datetime
    last_seen_at: datetime = Field(description="Last use, to within 30 seconds.")
    expires_at: datetime = Field(description="Absolute end of the session.")
    authenticated_at: datetime = Field(description="Last login or re-authentication.")
    current: bool = Field(description="Whether this is the session making the request.")


class AccountRead(BaseModel):
    """Who the session belongs to."""

    account_id: str
    kind: Literal["customer", "operator"]
    role: str | None
    session_id: str
    authenticated_at: datetime


class WebAuthnOptionsRead(BaseModel):
    """A WebAuthn challenge: pass `options` to the browser, send `challenge_id` back."""

    challenge_id: str = Field(description="Send back with the authenticator's response.")
    options: dict[str, Any] = Field(
        description="PublicKeyCredentialCreationOptions or ...RequestOptions as JSON "
        "(binary fields base64url), for `navigator.credentials.create()` / `.get()`."
    )


class WebAuthnResponseCreate(BaseModel):
    """An authenticator's answer to a challenge."""

    model_config = ConfigDict(extra="forbid")

    challenge_id: str = Field(min_length=1, max_length=64, description="From the options.")
    credential: dict[str, Any] = Field(
        description="The PublicKeyCredential the browser returned, as JSON (`toJSON()`)."
    )


class WebAuthnCredentialRead(BaseModel):
    """A registered security key or passkey (no key material)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Id to remove it by.")
    transports: list[str] = Field(description="How the browser reaches it (usb, nfc, ...).")
    backed_up: bool = Field(description="Whether it is a synced passkey.")
    created_at: datetime
    last_used_at: datetime | None


class WebAuthnRegisteredRead(BaseModel):
    """The new credential; recovery codes when it is the account's first second factor."""

    credential: WebAuthnCredentialRead
    recovery_codes: list[str] | None = Field(
        default=None, description="Shown once, when this is the first second factor."
    )


class WebAuthnStepUpCreate(WebAuthnResponseCreate):
    """A security key's answer to a step-up challenge, with the password or without it."""

    password: str | None = Field(
        default=None,
        max_length=_MAX_SECRET_INPUT,
        description="The current password; without it the key must verify its user (PIN or "
        "biometric).",
    )


class EmailChangeCreate(BaseModel):
    """A new login address; the password (and code) unless the session stepped up recently."""

    model_config = ConfigDict(extra="forbid")

    new_email: str = Email
    password: str | None = Field(
        default=None,
        max_length=_MAX_SECRET_INPUT,
        description="The current password: needed unless the session re-authenticated within "
        "the step-up window.",
    )
    code: str | None = Field(
        default=None, max_length=64, description="A TOTP code, with the password, if the "
        "account has an authenticator app.",
    )  # fmt: skip


class EmailChangeConfirm(BaseModel):
    """The code sent to the new address."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, description="The code from the message.")


class EmailChangedRead(BaseModel):
    """The login address is changed; other sessions ended."""

    status: Literal["changed"] = "changed"
