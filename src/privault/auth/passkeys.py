"""WebAuthn credentials and challenges on the database (queries flush, never commit).

A challenge is single use across every server process: it is claimed by one conditional DELETE,
and whoever deletes no row lost the race (or replayed it) and is refused. Each session holds at
most one pending challenge per ceremony, so the table cannot be filled by asking again and again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

from privault.auth.models import WebAuthnCeremony, WebAuthnChallenge, WebAuthnCredential
from privault.common.ids import new_id

CHALLENGE_BYTES = 32  # 256 bits from the CSPRNG (the spec asks for at least 128)


@dataclass(frozen=True)
class PendingChallenge:
    """A challenge just claimed: what the response must be checked against."""

    challenge: bytes
    account_id: str | None


@dataclass(frozen=True)
class CredentialView:
    """A registered security key or passkey, as its owner sees it (no key material)."""

    id: str
    transports: list[str]
    backed_up: bool
    created_at: datetime
    last_used_at: datetime | None


def view_of(credential: WebAuthnCredential) -> CredentialView:
    """The owner's view of a stored credential."""
    return CredentialView(
        id=credential.id,
        transports=split_transports(credential.transports),
        backed_up=credential.backed_up,
        created_at=credential.created_at,
        last_used_at=credential.last_used_at,
    )


def split_transports(stored: str) -> list[str]:
    """The transport hints stored as one comma-separated column."""
    return [part for part in stored.split(",") if part]


def descriptor_of(credential: WebAuthnCredential) -> PublicKeyCredentialDescriptor:
    """The credential as the browser is told of it (allow- and exclude-lists)."""
    transports: list[AuthenticatorTransport] = []
    for hint in split_transports(credential.transports):
        try:
            transports.append(AuthenticatorTransport(hint))
        except ValueError:
            continue  # a hint this library version does not know: leave it out
    return PublicKeyCredentialDescriptor(id=credential.credential_id, transports=transports)


def new_challenge(
    *,
    db_session: Session,
    ceremony: WebAuthnCeremony,
    account_id: str | None,
    session_id: str | None,
    ttl: timedelta,
    at: datetime,
) -> tuple[str, bytes]:
    """Store a fresh challenge (replacing the session's previous one); return its id and bytes."""
    db_session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= at))
    if session_id is not None:
        db_session.execute(
            delete(WebAuthnChallenge).where(
                WebAuthnChallenge.session_id == session_id,
                WebAuthnChallenge.ceremony == ceremony.value,
            )
        )
    challenge_id = new_id("wac")
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    db_session.add(
        WebAuthnChallenge(
            id=challenge_id,
            ceremony=ceremony.value,
            account_id=account_id,
            session_id=session_id,
            challenge=challenge,
            created_at=at,
            expires_at=at + ttl,
        )
    )
    db_session.flush()
    return challenge_id, challenge


def claim_challenge(
    *,
    db_session: Session,
    challenge_id: str,
    ceremony: WebAuthnCeremony,
    session_id: str | None,
    at: datetime,
) -> PendingChallenge | None:
    """Use up the challenge if it exists, is live, and belongs to this session and ceremony."""
    row = db_session.execute(
        select(WebAuthnChallenge.challenge, WebAuthnChallenge.account_id).where(
            WebAuthnChallenge.id == challenge_id,
            WebAuthnChallenge.ceremony == ceremony.value,
            WebAuthnChallenge.session_id == session_id,
            WebAuthnChallenge.expires_at > at,
        )
    ).one_or_none()
    if row is None:
        return None
    deleted = db_session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.id == challenge_id)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult at run time
        return None
    return PendingChallenge(challenge=bytes(row[0]), account_id=row[1])


def pending_anonymous_challenges(*, db_session: Session, at: datetime) -> int:
    """How many live challenges wait without a session (passwordless logins)."""
    count = db_session.scalar(
        select(func.count())
        .select_from(WebAuthnChallenge)
        .where(WebAuthnChallenge.session_id.is_(None), WebAuthnChallenge.expires_at > at)
    )
    return int(count or 0)


def credentials_of(*, db_session: Session, account_id: str) -> list[WebAuthnCredential]:
    """The account's credentials, oldest first."""
    return list(
        db_session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.account_id == account_id)
            .order_by(WebAuthnCredential.created_at, WebAuthnCredential.id)
        )
    )


def has_credentials(*, db_session: Session, account_id: str) -> bool:
    """Whether the account has at least one security key or passkey."""
    count = db_session.scalar(
        select(func.count())
        .select_from(WebAuthnCredential)
        .where(WebAuthnCredential.account_id == account_id)
    )
    return bool(count)


def credential_by_raw_id(*, db_session: Session, raw_id: bytes) -> WebAuthnCredential | None:
    """The credential an authenticator names, whoever owns it."""
    return db_session.scalars(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == raw_id)
    ).one_or_none()


def credential_id_taken(*, db_session: Session, raw_id: bytes) -> bool:
    """Whether a credential id is already registered (to anyone)."""
    return credential_by_raw_id(db_session=db_session, raw_id=raw_id) is not None
