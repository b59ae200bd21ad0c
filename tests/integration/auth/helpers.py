"""Small helpers shared by the auth integration tests."""

from __future__ import annotations

import pyotp
from sqlalchemy import text
from sqlalchemy.orm import Session

from privault.auth import (
    Authenticator,
    CurrentSession,
    IssuedSession,
    Refusal,
    SecondFactorResult,
    TotpEnrolment,
)
from privault.auth.models import Account
from privault.vault import Vault

from .conftest import ADDRESS, EMAIL, PASSWORD


def register(
    auth: Authenticator, vault: Vault, *, email: str = EMAIL, password: str = PASSWORD
) -> str:
    """Register a customer and return the account id."""
    with vault.session() as db_session:
        account_id = auth.register(db_session=db_session, login=email, password=password)
    assert account_id is not None
    return account_id


def login(
    auth: Authenticator,
    vault: Vault,
    *,
    email: str = EMAIL,
    password: str = PASSWORD,
    address: str = ADDRESS,
) -> IssuedSession | Refusal:
    """Log in in its own committed transaction."""
    with vault.session() as db_session:
        return auth.login(db_session=db_session, login=email, password=password, address=address)


def session_of(result: IssuedSession | Refusal) -> IssuedSession:
    """The issued session, failing the test on a refusal."""
    assert isinstance(result, IssuedSession), result
    return result


def current(auth: Authenticator, vault: Vault, token: str) -> CurrentSession:
    """Resolve an active session."""
    with vault.session() as db_session:
        return auth.current(db_session=db_session, token=token)


def code_at(secret: str, auth: Authenticator, *, steps: int = 0) -> str:
    """The TOTP code ``steps`` periods from the authenticator's now."""
    return pyotp.TOTP(secret).at(auth.clock.now(), counter_offset=steps)


def enrol_totp(auth: Authenticator, vault: Vault, token: str) -> tuple[TotpEnrolment, list[str]]:
    """Add and confirm an authenticator; return it with the recovery codes."""
    who = current(auth, vault, token)
    with vault.session() as db_session:
        enrolment = auth.start_totp(
            db_session=db_session, current=who, password=PASSWORD, address=ADDRESS
        )
    assert isinstance(enrolment, TotpEnrolment)
    with vault.session() as db_session:
        codes = auth.confirm_totp(
            db_session=db_session,
            current=who,
            code=code_at(enrolment.secret, auth),
            address=ADDRESS,
        )
    assert isinstance(codes, list)
    return enrolment, codes


def verify(
    auth: Authenticator,
    vault: Vault,
    token: str,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
) -> SecondFactorResult | Refusal:
    """Present a second factor in its own transaction."""
    with vault.session() as db_session:
        return auth.verify_second_factor(
            db_session=db_session,
            token=token,
            address=ADDRESS,
            code=code,
            recovery_code=recovery_code,
        )


def account(vault: Vault, account_id: str) -> Account:
    """The stored account row."""
    with vault.session() as db_session:
        found = db_session.get(Account, account_id)
        assert found is not None
        return found


def audit_rows(db_session: Session, operation: str | None = None) -> list[dict[str, object]]:
    """Audit events as dicts, optionally of one operation."""
    query = "SELECT * FROM audit_events"
    rows = db_session.execute(text(query)).mappings().all()
    return [dict(row) for row in rows if operation is None or row["operation"] == operation]


def dump_tables(db_session: Session) -> str:
    """Every auth and audit row as text, to search for secrets that must not be there."""
    parts: list[str] = []
    for table in (
        "audit_events",
        "auth_accounts",
        "auth_sessions",
        "auth_outbox",
        "auth_recovery_codes",
        "auth_login_failures",
    ):
        for row in db_session.execute(text(f"SELECT * FROM {table}")).all():  # noqa: S608 - fixed names
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


__all__ = [
    "account",
    "audit_rows",
    "code_at",
    "current",
    "dump_tables",
    "enrol_totp",
    "login",
    "register",
    "session_of",
    "verify",
]
