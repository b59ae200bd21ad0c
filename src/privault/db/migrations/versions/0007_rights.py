"""Data-subject requests: requests, their append-only events, one-time verification codes.

Revision ID: 0007_rights
Revises: 0006_auth
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0007_rights"
down_revision = "0006_auth"
branch_labels = None
depends_on = None

# Frozen copies of the model's conditions: a migration must not change when the code does.
_TYPES = (
    "type IN ('access', 'portability', 'erasure', 'rectification', 'restriction', "
    "'objection', 'opt_out')"
)
_STATES = "state IN ('received', 'identity_verified', 'in_progress', 'completed', 'denied')"
_OPEN = "state IN ('identity_verified', 'in_progress', 'received')"
_METHODS = "verified_by IS NULL OR verified_by IN ('code', 'session', 'operator')"
_ACTIONS = (
    "action IN ('received', 'transition', 'extended', 'confirmed', 'code_sent', 'code_failed')"
)


def upgrade() -> None:
    """Create rights_requests, rights_request_events and rights_verification_codes."""
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("regime", sa.String(8), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("confirm_by", UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("extended_at", UTCDateTime(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("verified_by", sa.String(16), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(_TYPES, name=op.f("ck_rights_requests_type")),
        sa.CheckConstraint("regime IN ('gdpr', 'ccpa')", name=op.f("ck_rights_requests_regime")),
        sa.CheckConstraint(_STATES, name=op.f("ck_rights_requests_state")),
        sa.CheckConstraint(_METHODS, name=op.f("ck_rights_requests_verified_by")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    op.create_index(
        "uq_rights_requests_open",
        "rights_requests",
        ["subject_id", "type"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_index(
        "ix_rights_requests_state_due_at", "rights_requests", ["state", "due_at"], unique=False
    )
    op.create_table(
        "rights_request_events",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.CheckConstraint(_ACTIONS, name=op.f("ck_rights_request_events_action")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_request_events_request_id_rights_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "seq", name=op.f("pk_rights_request_events")),
    )
    op.create_table(
        "rights_verification_codes",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_verification_codes_request_id_rights_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_verification_codes")),
    )


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_table("rights_verification_codes")
    op.drop_table("rights_request_events")
    op.drop_index("ix_rights_requests_state_due_at", table_name="rights_requests")
    op.drop_index("uq_rights_requests_open", table_name="rights_requests")
    op.drop_table("rights_requests")
