"""Authentication: accounts, TOTP steps, recovery codes, throttle state, sessions, outbox.

Revision ID: 0006_auth
Revises: 0005_tokens
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0006_auth"
down_revision = "0005_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the auth_* tables."""
    op.create_table(
        "auth_accounts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("login_ref", sa.LargeBinary(32), nullable=False),
        sa.Column("login_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("password_changed_at", UTCDateTime(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("totp_secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("totp_confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('customer', 'operator')", name=op.f("ck_auth_accounts_kind")),
        sa.CheckConstraint(
            "(kind = 'customer' AND role IS NULL) OR "
            "(kind = 'operator' AND role IN ('admin', 'dpo', 'support', 'auditor'))",
            name=op.f("ck_auth_accounts_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_accounts")),
        sa.UniqueConstraint("login_ref", name=op.f("uq_auth_accounts_login_ref")),
    )
    op.create_table(
        "auth_totp_used_steps",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_totp_used_steps_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "step", name=op.f("pk_auth_totp_used_steps")),
    )
    op.create_table(
        "auth_recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_recovery_codes_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_recovery_codes")),
    )
    op.create_index("ix_auth_recovery_codes_account_id", "auth_recovery_codes", ["account_id"])
    op.create_table(
        "auth_login_throttle",
        sa.Column("login_ref", sa.LargeBinary(32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("login_ref", name=op.f("pk_auth_login_throttle")),
    )
    op.create_table(
        "auth_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address_ref", sa.LargeBinary(32), nullable=False),
        sa.Column("login_ref", sa.LargeBinary(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_login_failures")),
    )
    op.create_index(
        "ix_auth_login_failures_address_ref", "auth_login_failures", ["address_ref", "at"]
    )
    op.create_index("ix_auth_login_failures_at", "auth_login_failures", ["at"])
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("authenticated_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(32), nullable=True),
        sa.CheckConstraint(
            "stage IN ('mfa_pending', 'active')", name=op.f("ck_auth_sessions_stage")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_sessions_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    op.create_index("ix_auth_sessions_account_id", "auth_sessions", ["account_id"])
    op.create_table(
        "auth_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("recipient_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_outbox_account_id_auth_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_outbox")),
    )
    op.create_index("ix_auth_outbox_sent_at", "auth_outbox", ["sent_at", "id"])


def downgrade() -> None:
    """Drop the auth_* tables."""
    op.drop_index("ix_auth_outbox_sent_at", table_name="auth_outbox")
    op.drop_table("auth_outbox")
    op.drop_index("ix_auth_sessions_account_id", table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_index("ix_auth_login_failures_at", table_name="auth_login_failures")
    op.drop_index("ix_auth_login_failures_address_ref", table_name="auth_login_failures")
    op.drop_table("auth_login_failures")
    op.drop_table("auth_login_throttle")
    op.drop_index("ix_auth_recovery_codes_account_id", table_name="auth_recovery_codes")
    op.drop_table("auth_recovery_codes")
    op.drop_table("auth_totp_used_steps")
    op.drop_table("auth_accounts")
