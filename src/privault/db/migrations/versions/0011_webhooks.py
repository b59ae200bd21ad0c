"""Shopify webhook deliveries and outgoing signed webhooks.

Revision ID: 0011_webhooks
Revises: 0010_retention
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from privault.db.base import UTCDateTime

revision = "0011_webhooks"
down_revision = "0010_retention"
branch_labels = None
depends_on = None

# Frozen copies of the models' conditions: a migration must not change when the code does.
_DELIVERY_STATES = "state IN ('pending', 'failed', 'delivered', 'dead')"
_OUTCOMES = "outcome IN ('accepted', 'ignored', 'redacting', 'done')"


def upgrade() -> None:
    """Create webhook_events, webhook_deliveries and shopify_webhooks."""
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    op.create_index("ix_webhook_events_dispatched_at", "webhook_events", ["dispatched_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("endpoint", sa.String(63), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.CheckConstraint(_DELIVERY_STATES, name=op.f("ck_webhook_deliveries_state")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "event_id", "endpoint", name=op.f("uq_webhook_deliveries_event_endpoint")
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_state_next_attempt_at",
        "webhook_deliveries",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "shopify_webhooks",
        sa.Column("webhook_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("shop_domain", sa.String(255), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=True),
        sa.Column("orders", sa.Text(), nullable=True),
        sa.Column("redact_cursor", sa.String(255), nullable=True),
        sa.Column("redact_opened", sa.Integer(), nullable=False),
        sa.CheckConstraint(_OUTCOMES, name=op.f("ck_shopify_webhooks_outcome")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_shopify_webhooks_request_id_rights_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_shopify_webhooks")),
    )
    op.create_index("uq_shopify_webhooks_event_id", "shopify_webhooks", ["event_id"], unique=True)
    op.create_index("ix_shopify_webhooks_outcome", "shopify_webhooks", ["outcome"])
    op.create_index("ix_shopify_webhooks_request_id", "shopify_webhooks", ["request_id"])


def downgrade() -> None:
    """Drop what upgrade made."""
    op.drop_index("ix_shopify_webhooks_request_id", table_name="shopify_webhooks")
    op.drop_index("ix_shopify_webhooks_outcome", table_name="shopify_webhooks")
    op.drop_index("uq_shopify_webhooks_event_id", table_name="shopify_webhooks")
    op.drop_table("shopify_webhooks")
    op.drop_index("ix_webhook_deliveries_state_next_attempt_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_events_dispatched_at", table_name="webhook_events")
    op.drop_table("webhook_events")
