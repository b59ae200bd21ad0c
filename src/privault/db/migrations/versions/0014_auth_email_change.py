"""Login e-mail change with re-authentication: pending changes waiting for their code.

Revision ID: 0014_auth_email_change
Revises: 0013_retained_fields
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0014_auth_email_change"
down_revision = "0013_retained_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create auth_email_changes."""
    op.create_table(
        "auth_email_changes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("new_login_ref", sa.LargeBinary(32), nullable=False),
        sa.Column("new_login_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_email_changes_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_email_changes")),
        sa.UniqueConstraint("account_id", name=op.f("uq_auth_email_changes_account_id")),
    )


def downgrade() -> None:
    """Drop auth_email_changes."""
    op.drop_table("auth_email_changes")
