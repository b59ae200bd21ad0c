"""Tokens and lookups: stored tokens of a record, blind-index and token digests, idempotency.

Revision ID: 0005_tokens
Revises: 0004_api_keys
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0005_tokens"
down_revision = "0004_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add records.tokens; create lookups and idempotency_keys."""
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("tokens", sa.Text(), nullable=True))
    # Clustered by record on SQLite (WITHOUT ROWID): new record ids rise with time, so rows are
    # appended, and a record's lookups are deleted by a key-prefix range.
    op.create_table(
        "lookups",
        sa.Column("record_id", sa.String(40), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("collection", sa.String(63), nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_lookups_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "field", "kind", name=op.f("pk_lookups")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_lookups_kind_digest", "lookups", ["kind", "digest"])
    op.create_table(
        "idempotency_keys",
        sa.Column("api_key_id", sa.String(12), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_lookups_kind_digest", table_name="lookups")
    op.drop_table("lookups")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("tokens")
