"""Queries of the auth tables; they flush, never commit.

Counters and single-use marks are changed by one conditional statement each, so several server
processes on one database never both win the same race.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from privault.auth.models import (
    Account,
    AuthSession,
    EmailChange,
    LoginFailure,
    LoginThrottle,
    OutboxMessage,
    RecoveryCode,
    TotpUsedStep,
)


def _dialect_insert(db_session: Session, table: Any) -> Any:
    name = db_session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


# --- accounts --------------------------------------------------------------------------------


def account_by_login_ref(*, db_session: Session, login_ref: bytes) -> Account | None:
    """The account a login name belongs to, or None."""
    return db_session.scalars(select(Account).where(Account.login_ref == login_ref)).one_or_none()


def login_ref_taken(*, db_session: Session, login_ref: bytes) -> bool:
    """Whether an account already uses this login name."""
    found = db_session.scalar(select(Account.id).where(Account.login_ref == login_ref))
    return found is not None


# --- login e-mail changes --------------------------------------------------------------------


def replace_email_change(*, db_session: Session, change: EmailChange) -> None:
    """Store an account's pending e-mail change, dropping any earlier one (and expired ones)."""
    db_session.execute(
        delete(EmailChange).where(
            (EmailChange.account_id == change.account_id)
            | (EmailChange.expires_at <= change.created_at)
        )
    )
    db_session.add(change)
    db_session.flush()


def drop_email_changes(*, db_session: Session, account_id: str) -> None:
    """Forget an account's pending e-mail change, if any."""
    db_session.execute(delete(EmailChange).where(EmailChange.account_id == account_id))


def claim_email_change(
    *, db_session: Session, account_id: str, code_hash: bytes, at: datetime
) -> tuple[bytes, bytes] | None:
    """Use up the account's live pending change if ``code_hash`` is its code: (new login ref,
    new sealed login), or None. One conditional DELETE, so a code works once across processes."""
    row = db_session.execute(
        select(EmailChange.id, EmailChange.new_login_ref, EmailChange.new_login_ciphertext).where(
            EmailChange.account_id == account_id,
            EmailChange.code_hash == code_hash,
            EmailChange.expires_at > at,
        )
    ).one_or_none()
    if row is None:
        return None
    deleted = db_session.execute(delete(EmailChange).where(EmailChange.id == row[0]))
    if int(getattr(deleted, "rowcount", 0) or 0) != 1:
        return None
    return bytes(row[1]), bytes(row[2])


# --- throttle --------------------------------------------------------------------------------


def throttle_state(*, db_session: Session, login_ref: bytes) -> tuple[int, datetime | None]:
    """Consecutive failures of a login name and the time of the last one."""
    row = db_session.execute(
        select(LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.login_ref == login_ref
        )
    ).one_or_none()
    return (0, None) if row is None else (int(row[0]), row[1])


def count_failure(*, db_session: Session, login_ref: bytes, at: datetime) -> int:
    """Add one consecutive failure to a login name (atomically); return the new count."""
    statement = _dialect_insert(db_session, LoginThrottle).values(
        login_ref=login_ref, failures=1, last_failure_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.login_ref],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": at},
    ).returning(LoginThrottle.failures)
    return int(db_session.execute(statement).scalar_one())


def clear_failures(*, db_session: Session, login_ref: bytes) -> None:
    """Forget a login name's failures (after a complete, successful login)."""
    db_session.execute(delete(LoginThrottle).where(LoginThrottle.login_ref == login_ref))


def record_failure(
    *, db_session: Session, address_ref: bytes, login_ref: bytes, at: datetime
) -> None:
    """Remember one failed login for the address limits and stuffing detection."""
    db_session.execute(
        insert(LoginFailure).values(address_ref=address_ref, login_ref=login_ref, at=at)
    )


def failures_from(
    *, db_session: Session, address_ref: bytes, since: datetime
) -> list[tuple[bytes, datetime]]:
    """(login_ref, time) of an address's failed logins since a moment, oldest first."""
    rows = db_session.execute(
        select(LoginFailure.login_ref, LoginFailure.at)
        .where(LoginFailure.address_ref == address_ref, LoginFailure.at > since)
        .order_by(LoginFailure.at)
    ).all()
    return [(bytes(row[0]), row[1]) for row in rows]


def prune_failures(*, db_session: Session, before: datetime) -> int:
    """Delete failure records older than any window looks at; return how many."""
    result = db_session.execute(delete(LoginFailure).where(LoginFailure.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


# --- TOTP ------------------------------------------------------------------------------------


def last_totp_step(*, db_session: Session, account_id: str) -> int | None:
    """The newest TOTP step the account has used, or None."""
    value = db_session.scalar(
        select(func.max(TotpUsedStep.step)).where(TotpUsedStep.account_id == account_id)
    )
    return None if value is None else int(value)


def claim_totp_step(*, db_session: Session, account_id: str, step: int, at: datetime) -> bool:
    """Mark a step used; False if it already was (by this or any other process)."""
    statement = (
        _dialect_insert(db_session, TotpUsedStep)
        .values(account_id=account_id, step=step, used_at=at)
        .on_conflict_do_nothing(index_elements=[TotpUsedStep.account_id, TotpUsedStep.step])
        # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
        .returning(TotpUsedStep.step)
    )
    return db_session.execute(statement).first() is not None


def forget_totp_steps(*, db_session: Session, account_id: str, before: int) -> None:
    """Drop used steps older than ``before`` (only the newest is needed to refuse replays)."""
    db_session.execute(
        delete(TotpUsedStep).where(
            TotpUsedStep.account_id == account_id, TotpUsedStep.step < before
        )
    )


# --- recovery codes --------------------------------------------------------------------------


def unused_recovery_codes(*, db_session: Session, account_id: str) -> list[tuple[int, str]]:
    """(id, hash) of the account's unused recovery codes."""
    rows = db_session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash)
        .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
        .order_by(RecoveryCode.id)
    ).all()
    return [(int(row[0]), str(row[1])) for row in rows]


def use_recovery_code(*, db_session: Session, code_id: int, at: datetime) -> bool:
    """Mark a code used; False if another request used it first."""
    result = db_session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
        .values(used_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def replace_recovery_codes(
    *, db_session: Session, account_id: str, code_hashes: Sequence[str], at: datetime
) -> None:
    """Delete the account's codes and store a new set."""
    db_session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    db_session.execute(
        insert(RecoveryCode),
        [{"account_id": account_id, "code_hash": h, "created_at": at} for h in code_hashes],
    )


# --- sessions --------------------------------------------------------------------------------


def session_by_token_hash(*, db_session: Session, token_hash: bytes) -> AuthSession | None:
    """The session a token belongs to, or None."""
    return db_session.scalars(
        select(AuthSession).where(AuthSession.token_hash == token_hash)
    ).one_or_none()


def live_sessions(*, db_session: Session, account_id: str, now: datetime) -> list[AuthSession]:
    """The account's sessions not revoked and not past their absolute end, newest first."""
    return list(
        db_session.scalars(
            select(AuthSession)
            .where(
                AuthSession.account_id == account_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        )
    )


def revoke_sessions(
    *,
    db_session: Session,
    account_id: str,
    at: datetime,
    reason: str,
    session_id: str | None = None,
    except_session_id: str | None = None,
) -> int:
    """Revoke one, all, or all but one of an account's live sessions; return how many."""
    statement = update(AuthSession).where(
        AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
    )
    if session_id is not None:
        statement = statement.where(AuthSession.id == session_id)
    if except_session_id is not None:
        statement = statement.where(AuthSession.id != except_session_id)
    result = db_session.execute(statement.values(revoked_at=at, revoked_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


# --- outbox ----------------------------------------------------------------------------------


def pending_messages(*, db_session: Session, limit: int) -> list[OutboxMessage]:
    """Unsent messages, oldest first."""
    return list(
        db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def messages_for(*, db_session: Session, account_id: str) -> list[OutboxMessage]:
    """Every message to an account, oldest first."""
    return list(
        db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.account_id == account_id)
            .order_by(OutboxMessage.id)
        )
    )
