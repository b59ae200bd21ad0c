"""Queries on the ``api_keys`` table. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from privault.apikeys.models import ApiKey
from privault.db.bulk import PreparedSelect


@dataclass(frozen=True, slots=True)
class KeyRow:
    """An API key row as authentication reads it on every request (no ORM object)."""

    id: str
    name: str | None
    role: str
    purposes: list[str] | None
    regions: list[str] | None
    secret_hash: bytes
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_keys = ApiKey.__table__
_GET_FOR_AUTH = PreparedSelect(
    select(
        _keys.c.id,
        _keys.c.name,
        _keys.c.role,
        _keys.c.purposes,
        _keys.c.regions,
        _keys.c.secret_hash,
        _keys.c.created_at,
        _keys.c.last_used_at,
        _keys.c.revoked_at,
    ).where(_keys.c.id == bindparam("id"))
)


def get_for_auth(*, db_session: Session, key_id: str) -> KeyRow | None:
    """The key row for authentication, through a prepared select (the hot path of every call)."""
    row = _GET_FOR_AUTH.first(db_session, id=key_id)
    return None if row is None else KeyRow(*row)


def touch(*, db_session: Session, key_id: str, at: datetime) -> None:
    """Record a use of the key."""
    db_session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(last_used_at=at)
        .execution_options(synchronize_session=False)
    )


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
