"""Retention sweeps and legal holds.

Revision ID: 0010_retention
Revises: 0009_rights_fulfilment
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0010_retention"
down_revision = "0009_rights_fulfilment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create legal_holds and retention_leases; index records by collection and age."""
    op.create_table(
        "legal_holds",
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("placed_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_legal_holds")),
    )
    op.create_table(
        "retention_leases",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_retention_leases")),
    )
    op.create_index(
        "ix_records_collection_created_at",
        "records",
        ["collection", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_index("ix_records_collection_created_at", table_name="records")
    op.drop_table("retention_leases")
    op.drop_table("legal_holds")
