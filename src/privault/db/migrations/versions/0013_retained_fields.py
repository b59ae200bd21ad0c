"""Legal-obligation fields kept past erasure under a retention key.

Revision ID: 0013_retained_fields
Revises: 0012_consent_notices
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0013_retained_fields"
down_revision = "0012_consent_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create retention_keys and retained_fields."""
    op.create_table(
        "retention_keys",
        sa.Column("erasure_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(63), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("master_key_id", sa.BigInteger(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("subject_pseudonym", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("erasure_id", name=op.f("pk_retention_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_retention_keys_key_id")),
    )
    op.create_table(
        "retained_fields",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("erasure_id", sa.String(40), nullable=False),
        sa.Column("subject_pseudonym", sa.String(64), nullable=False),
        sa.Column("collection", sa.String(63), nullable=False),
        sa.Column("record_id", sa.String(40), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("legal_basis", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("retained_at", UTCDateTime(), nullable=False),
        sa.Column("retain_until", UTCDateTime(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["erasure_id"],
            ["retention_keys.erasure_id"],
            name=op.f("fk_retained_fields_erasure_id_retention_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retained_fields")),
    )
    op.create_index("ix_retained_fields_retain_until", "retained_fields", ["retain_until"])
    op.create_index("ix_retained_fields_erasure_id", "retained_fields", ["erasure_id"])
    op.create_index(
        "ix_retained_fields_subject_pseudonym", "retained_fields", ["subject_pseudonym"]
    )


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_index("ix_retained_fields_subject_pseudonym", table_name="retained_fields")
    op.drop_index("ix_retained_fields_erasure_id", table_name="retained_fields")
    op.drop_index("ix_retained_fields_retain_until", table_name="retained_fields")
    op.drop_table("retained_fields")
    op.drop_table("retention_keys")
