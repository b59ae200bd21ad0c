"""Database access: engine and session factory for SQLite and PostgreSQL, Base, migrations."""

from __future__ import annotations

from privault.db.base import Base, UTCDateTime
from privault.db.engine import Database, session_scope
from privault.db.migrate import current_revision, head_revision, upgrade

__all__ = [
    "Base",
    "Database",
    "UTCDateTime",
    "current_revision",
    "head_revision",
    "session_scope",
    "upgrade",
]
