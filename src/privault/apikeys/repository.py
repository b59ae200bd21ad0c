"""Queries on the ``api_keys`` table. Flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from privault.apikeys.models import ApiKey


def get(*, db_session: Session, key_id: str) -> ApiKey | None:
    """The key with this id, or None."""
    return db_session.get(ApiKey, key_id)


def add(*, db_session: Session, api_key: ApiKey) -> None:
    """Insert a new key."""
    db_session.add(api_key)
    db_session.flush()


def list_all(*, db_session: Session, include_revoked: bool) -> list[ApiKey]:
    """Every key, oldest first."""
    statement = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not include_revoked:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    return list(db_session.scalars(statement))
