"""Rights fulfilment: sealed access packages, single-use download links, erasure certificates.

Revision ID: 0009_rights_fulfilment
Revises: 0008_webauthn
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0009_rights_fulfilment"
down_revision = "0008_webauthn"
branch_labels = None
depends_on = None


def _request_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"],
        ["rights_requests.id"],
        name=op.f(f"fk_{table}_request_id_rights_requests"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Create rights_packages, rights_download_links and rights_erasure_certificates."""
    op.create_table(
        "rights_packages",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _request_fk("rights_packages"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_packages")),
    )
    op.create_table(
        "rights_download_links",
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _request_fk("rights_download_links"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_rights_download_links")),
    )
    op.create_index(
        "ix_rights_download_links_request_id",
        "rights_download_links",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "rights_erasure_certificates",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("audit_event_id", sa.String(40), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        _request_fk("rights_erasure_certificates"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_erasure_certificates")),
    )


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_table("rights_erasure_certificates")
    op.drop_index("ix_rights_download_links_request_id", table_name="rights_download_links")
    op.drop_table("rights_download_links")
    op.drop_table("rights_packages")
