"""The vault: wrapped customer keys and encrypted records.

Revision ID: 0001_vault
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0001_vault"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create subject_keys and records."""
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("region", sa.String(63), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("master_key_id", sa.BigInteger(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("rewrapped_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name="pk_subject_keys"),
        sa.UniqueConstraint("key_id", name="uq_subject_keys_key_id"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("collection", sa.String(63), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("region", sa.String(63), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject_keys.subject_id"],
            name="fk_records_subject_id_subject_keys",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
    )
    op.create_index("ix_records_subject_id", "records", ["subject_id"])


def downgrade() -> None:
    """Drop the vault tables."""
    op.drop_table("records")
    op.drop_table("subject_keys")
