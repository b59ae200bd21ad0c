"""audit_events.leaf_index as a SQLite rowid alias.

On SQLite only a column declared exactly ``INTEGER PRIMARY KEY`` is the table's rowid; a
``BIGINT`` primary key made every event write two B-trees (the hidden rowid table and a separate
primary-key index). The table is rebuilt with the same rows, indexes and append-only triggers.
PostgreSQL keeps ``BIGINT`` and is not touched.

Revision ID: 0015_audit_rowid
Revises: 0014_auth_email_change
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_audit_rowid"
down_revision = "0014_auth_email_change"
branch_labels = None
depends_on = None

_TRIGGERS = {
    "audit_events_no_update": "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "audit_events_no_delete": "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
}


def _rebuild(new_type: sa.types.TypeEngine[int], old_type: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The copy into the rebuilt table must not meet the append-only triggers (dropping the old
    # table would): they go first and come back on the new table.
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.alter_column(
            "leaf_index",
            type_=new_type,
            existing_type=old_type,
            existing_nullable=False,
            autoincrement=False,
        )
    for statement in _TRIGGERS.values():
        op.execute(statement)


def upgrade() -> None:
    """Rebuild audit_events on SQLite with an INTEGER primary key."""
    _rebuild(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    """Back to the BIGINT primary key on SQLite."""
    _rebuild(sa.BigInteger(), sa.Integer())
