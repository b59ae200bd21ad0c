"""API keys: the shop's services authenticate with them; only a keyed hash is stored.

Revision ID: 0004_api_keys
Revises: 0003_audit
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0004_api_keys"
down_revision = "0003_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create api_keys."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("role", sa.String(63), nullable=False),
        sa.Column("purposes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("regions", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )


def downgrade() -> None:
    """Drop api_keys."""
    op.drop_table("api_keys")
