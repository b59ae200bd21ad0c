"""Database access: engine and session factory for SQLite and PostgreSQL, Base, migrations."""

from __future__ import annotations

from privault.db.base import Base, UTCDateTime
from privault.db.engine import Database, commit, session_scope, unavailable
from privault.db.migrate import (
    SCHEMA_REVISION,
    current_revision,
    head_revision,
    stored_revision,
    upgrade,
)

__all__ = [
    "SCHEMA_REVISION",
    "Base",
    "Database",
    "UTCDateTime",
    "commit",
    "current_revision",
    "head_revision",
    "session_scope",
    "stored_revision",
    "unavailable",
    "upgrade",
]
