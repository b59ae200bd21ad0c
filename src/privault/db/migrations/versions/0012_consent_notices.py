"""Consent notices per language and consent event origins.

Revision ID: 0012_consent_notices
Revises: 0011_webhooks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0012_consent_notices"
down_revision = "0011_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create consent_notices; add notice language, legal basis and origin to consent_events."""
    op.create_table(
        "consent_notices",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(63), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notices")),
        sa.UniqueConstraint(
            "purpose", "version", "language", name=op.f("uq_consent_notices_purpose")
        ),
    )
    with op.batch_alter_table("consent_events") as batch:
        batch.add_column(sa.Column("notice_language", sa.String(35), nullable=True))
        batch.add_column(sa.Column("legal_basis", sa.String(32), nullable=True))
        batch.add_column(sa.Column("origin", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop what upgrade made."""
    with op.batch_alter_table("consent_events") as batch:
        batch.drop_column("origin")
        batch.drop_column("legal_basis")
        batch.drop_column("notice_language")
    op.drop_table("consent_notices")
