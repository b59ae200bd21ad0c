"""Server-side sessions: issue, resolve, list, revoke. The table holds only a token's HMAC.

A token is 256 bits from the CSPRNG. An active session ends after ``idle`` without use or
``absolute`` after login, whichever is first; a session waiting for the second factor ends after
``mfa_pending``. Logging in, completing MFA and re-authenticating always issue a new token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from privault.auth import repository
from privault.auth.keys import AuthKeys
from privault.auth.models import Account, AuthSession, SessionStage
from privault.common.ids import new_id
from privault.errors import NotFound, Unauthenticated

TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 128
# last_seen_at moves at most this often, so a busy session does not cost a write per request.
_SEEN_GRANULARITY = timedelta(seconds=30)
_NO_SESSION = "no valid session; log in again"


@dataclass(frozen=True)
class SessionTimeouts:
    """How long sessions live."""

    idle: timedelta = timedelta(hours=1)
    absolute: timedelta = timedelta(hours=24)
    mfa_pending: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedSession:
    """A new session and its token: the only place the token exists in the clear."""

    token: str
    session_id: str
    account_id: str
    stage: str
    expires_at: datetime


@dataclass(frozen=True)
class CurrentSession:
    """The session a request presented, resolved and checked."""

    session_id: str
    account_id: str
    kind: str
    role: str | None
    stage: str
    authenticated_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class SessionView:
    """One of an account's sessions, as its owner sees it."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    authenticated_at: datetime
    current: bool


def issue(
    *,
    db_session: Session,
    keys: AuthKeys,
    timeouts: SessionTimeouts,
    account_id: str,
    stage: SessionStage,
    at: datetime,
    authenticated_at: datetime | None = None,
) -> IssuedSession:
    """Create a session with a fresh token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lifetime = timeouts.mfa_pending if stage is SessionStage.MFA_PENDING else timeouts.absolute
    row = AuthSession(
        id=new_id("ses"),
        account_id=account_id,
        token_hash=keys.token_hash_of(token),
        stage=stage.value,
        created_at=at,
        last_seen_at=at,
        expires_at=at + lifetime,
        authenticated_at=authenticated_at or at,
    )
    db_session.add(row)
    db_session.flush()
    return IssuedSession(token, row.id, account_id, row.stage, row.expires_at)


def resolve(
    *,
    db_session: Session,
    keys: AuthKeys,
    timeouts: SessionTimeouts,
    token: str | None,
    at: datetime,
    stage: SessionStage = SessionStage.ACTIVE,
) -> CurrentSession:
    """The live session of ``token`` in ``stage``; Unauthenticated otherwise."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthenticated(_NO_SESSION, code="no_session")
    row = repository.session_by_token_hash(
        db_session=db_session, token_hash=keys.token_hash_of(token)
    )
    if row is None or row.revoked_at is not None or row.stage != stage.value:
        raise Unauthenticated(_NO_SESSION, code="no_session")
    if at >= row.expires_at or (
        stage is SessionStage.ACTIVE and at >= row.last_seen_at + timeouts.idle
    ):
        raise Unauthenticated("the session has expired; log in again", code="session_expired")
    account = db_session.get(Account, row.account_id)
    if account is None or account.disabled_at is not None:
        raise Unauthenticated(_NO_SESSION, code="no_session")
    if at - row.last_seen_at >= _SEEN_GRANULARITY:
        row.last_seen_at = at
    return CurrentSession(
        session_id=row.id,
        account_id=row.account_id,
        kind=account.kind,
        role=account.role,
        stage=row.stage,
        authenticated_at=row.authenticated_at,
        created_at=row.created_at,
    )


def list_own(
    *, db_session: Session, timeouts: SessionTimeouts, current: CurrentSession, at: datetime
) -> list[SessionView]:
    """The account's live sessions (not revoked, not idle or past their end)."""
    rows = repository.live_sessions(db_session=db_session, account_id=current.account_id, now=at)
    return [
        SessionView(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            authenticated_at=row.authenticated_at,
            current=row.id == current.session_id,
        )
        for row in rows
        if row.stage == SessionStage.ACTIVE.value and at < row.last_seen_at + timeouts.idle
    ]


def revoke_own(
    *, db_session: Session, current: CurrentSession, session_id: str, at: datetime, reason: str
) -> None:
    """End one of the account's own sessions; NotFound for any other id."""
    revoked = repository.revoke_sessions(
        db_session=db_session,
        account_id=current.account_id,
        session_id=session_id,
        at=at,
        reason=reason,
    )
    if revoked != 1:
        raise NotFound("no such session", code="session_not_found")
