"""The consent ledger (events, current state) and processing restrictions.

Revision ID: 0002_consent
Revises: 0001_vault
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0002_consent"
down_revision = "0001_vault"
branch_labels = None
depends_on = None

_SOURCES = "source IN ('web', 'api', 'import', 'gpc', 'cli')"


def upgrade() -> None:
    """Create consent_events, consent_states and subject_restrictions."""
    op.create_table(
        "consent_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(63), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("notice_version", sa.String(64), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "action IN ('grant', 'withdraw')", name=op.f("ck_consent_events_action")
        ),
        sa.CheckConstraint(_SOURCES, name=op.f("ck_consent_events_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(
        "ix_consent_events_subject_id", "consent_events", ["subject_id", "at"], unique=False
    )
    op.create_table(
        "consent_states",
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(63), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("notice_version", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_SOURCES, name=op.f("ck_consent_states_source")),
        sa.PrimaryKeyConstraint("subject_id", "purpose", name=op.f("pk_consent_states")),
    )
    op.create_table(
        "subject_restrictions",
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_restrictions")),
    )


def downgrade() -> None:
    """Drop the consent tables."""
    op.drop_table("subject_restrictions")
    op.drop_table("consent_states")
    op.drop_index("ix_consent_events_subject_id", table_name="consent_events")
    op.drop_table("consent_events")
