"""Tables of authentication: accounts, second factors, throttle state, sessions, the outbox.

Nothing secret is stored in the clear: passwords as argon2id hashes, the login name (an email
address) as a keyed hash for lookup plus an AEAD ciphertext for notifications, TOTP secrets as
AEAD ciphertexts, recovery codes and session tokens as keyed hashes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

ID_LENGTH = 40
DIGEST_LENGTH = 32
HASH_TEXT_LENGTH = 255
ROLE_LENGTH = 16
REASON_LENGTH = 32
OUTBOX_KIND_LENGTH = 64
SUBJECT_LENGTH = 200
CREDENTIAL_ID_LENGTH = 1023
TRANSPORTS_LENGTH = 200
CHALLENGE_LENGTH = 64


class AccountKind(StrEnum):
    """Who an account belongs to."""

    CUSTOMER = "customer"  # a shop's customer, through the storefront's API calls
    OPERATOR = "operator"  # privault's own staff (console and CLI against a server)


class OperatorRole(StrEnum):
    """What an operator may do."""

    ADMIN = "admin"
    DPO = "dpo"
    SUPPORT = "support"
    AUDITOR = "auditor"


class SessionStage(StrEnum):
    """How far a session has got through login."""

    MFA_PENDING = "mfa_pending"  # password checked; only the second factor may be presented
    ACTIVE = "active"


def _one_of(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class Account(Base):
    """A customer or operator account."""

    __tablename__ = "auth_accounts"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(ROLE_LENGTH), nullable=True)
    # HMAC of kind and the normalised login name: looked up, never reversed.
    login_ref: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    # AEAD ciphertext of the login name, for notifications only.
    login_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    password_hash: Mapped[str] = mapped_column(String(HASH_TEXT_LENGTH))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set on evidence of compromise (never on a schedule): the next login must change it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # None while an enrolment waits for its first code: an unconfirmed secret is no factor.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint(_one_of("kind", AccountKind), name="kind"),
        CheckConstraint(
            f"(kind = 'customer' AND role IS NULL) OR "
            f"(kind = 'operator' AND {_one_of('role', OperatorRole)})",
            name="role",
        ),
        UniqueConstraint("login_ref"),
    )


class TotpUsedStep(Base):
    """A TOTP time step an account has used: the key makes each code count once, everywhere."""

    __tablename__ = "auth_totp_used_steps"

    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (PrimaryKeyConstraint("account_id", "step"),)


class RecoveryCode(Base):
    """One single-use recovery code, as an HMAC."""

    __tablename__ = "auth_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_auth_recovery_codes_account_id", "account_id"),)


class LoginThrottle(Base):
    """Consecutive failed logins per login name, known account or not.

    Keyed by the login name's HMAC rather than the account, so an unknown name is throttled and
    locked exactly as a known one: the lock says nothing about whether an account exists.
    """

    __tablename__ = "auth_login_throttle"

    login_ref: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One failed login, for the per-address limits and credential-stuffing detection."""

    __tablename__ = "auth_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # HMACs: a client address is personal data, and the login name is customer data.
    address_ref: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    login_ref: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_auth_login_failures_address_ref", "address_ref", "at"),
        Index("ix_auth_login_failures_at", "at"),
    )


class AuthSession(Base):
    """A server-side session; the cookie carries the token, the table only its HMAC."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE")
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Last time the person proved who they are in this session (login or step-up).
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH), nullable=True)

    __table_args__ = (
        CheckConstraint(_one_of("stage", SessionStage), name="stage"),
        UniqueConstraint("token_hash"),
        Index("ix_auth_sessions_account_id", "account_id"),
    )


class OutboxMessage(Base):
    """A notification waiting to be (or already) sent; recipient encrypted, no secrets inside."""

    __tablename__ = "auth_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(OUTBOX_KIND_LENGTH))
    recipient_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_auth_outbox_sent_at", "sent_at", "id"),)


class WebAuthnCeremony(StrEnum):
    """Which WebAuthn ceremony a challenge was issued for."""

    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


class WebAuthnCredential(Base):
    """A registered authenticator (security key or passkey): its public key, never a secret."""

    __tablename__ = "auth_webauthn_credentials"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE")
    )
    # The authenticator's own identifier (at most 1023 bytes by the WebAuthn spec).
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(CREDENTIAL_ID_LENGTH))
    # COSE-encoded public key.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Last signature counter seen; 0 means the authenticator keeps no counter.
    sign_count: Mapped[int] = mapped_column(BigInteger)
    # Comma-separated transport hints ("usb,nfc"), echoed back in allowCredentials.
    transports: Mapped[str] = mapped_column(String(TRANSPORTS_LENGTH))
    aaguid: Mapped[str] = mapped_column(String(36))
    backed_up: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("credential_id"),
        Index("ix_auth_webauthn_credentials_account_id", "account_id"),
    )


class WebAuthnChallenge(Base):
    """A pending WebAuthn challenge: single use, short-lived, bound to an account and session."""

    __tablename__ = "auth_webauthn_challenges"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    ceremony: Mapped[str] = mapped_column(String(16))
    # None only for a passwordless login, where the authenticator names the account.
    account_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE"), nullable=True
    )
    session_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=True
    )
    challenge: Mapped[bytes] = mapped_column(LargeBinary(CHALLENGE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(_one_of("ceremony", WebAuthnCeremony), name="ceremony"),
        Index("ix_auth_webauthn_challenges_expires_at", "expires_at"),
    )


class EmailChange(Base):
    """A requested change of an account's login address, waiting for the code sent to the new
    address: one per account, single use (deleted when used), stored as a keyed hash."""

    __tablename__ = "auth_email_changes"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_accounts.id", ondelete="CASCADE")
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    # The new address as the account will hold it: its lookup HMAC and its sealed form.
    new_login_ref: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_LENGTH))
    new_login_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("account_id"),)
