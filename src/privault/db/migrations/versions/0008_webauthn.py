"""WebAuthn: registered credentials and pending, single-use challenges.

Revision ID: 0008_webauthn
Revises: 0007_rights
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0008_webauthn"
down_revision = "0007_rights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create auth_webauthn_credentials and auth_webauthn_challenges."""
    op.create_table(
        "auth_webauthn_credentials",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(200), nullable=False),
        sa.Column("aaguid", sa.String(36), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_webauthn_credentials_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_webauthn_credentials")),
        sa.UniqueConstraint(
            "credential_id", name=op.f("uq_auth_webauthn_credentials_credential_id")
        ),
    )
    op.create_index(
        "ix_auth_webauthn_credentials_account_id", "auth_webauthn_credentials", ["account_id"]
    )
    op.create_table(
        "auth_webauthn_challenges",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("ceremony", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=True),
        sa.Column("session_id", sa.String(40), nullable=True),
        sa.Column("challenge", sa.LargeBinary(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        # Frozen copy of the model's condition: a migration must not change when the code does.
        sa.CheckConstraint(
            "ceremony IN ('registration', 'authentication')",
            name=op.f("ck_auth_webauthn_challenges_ceremony"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["auth_accounts.id"],
            name=op.f("fk_auth_webauthn_challenges_account_id_auth_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_auth_webauthn_challenges_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_webauthn_challenges")),
    )
    op.create_index(
        "ix_auth_webauthn_challenges_expires_at", "auth_webauthn_challenges", ["expires_at"]
    )


def downgrade() -> None:
    """Drop the WebAuthn tables."""
    op.drop_index("ix_auth_webauthn_challenges_expires_at", table_name="auth_webauthn_challenges")
    op.drop_table("auth_webauthn_challenges")
    op.drop_index("ix_auth_webauthn_credentials_account_id", table_name="auth_webauthn_credentials")
    op.drop_table("auth_webauthn_credentials")
