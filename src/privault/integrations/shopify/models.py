"""The Shopify privacy webhooks received: one row per delivery id (replays are answered once)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime


class Outcome(StrEnum):
    """What a received webhook led to."""

    ACCEPTED = "accepted"  # a request was opened (or the customer's open one reused)
    IGNORED = "ignored"  # a topic privault does not act on
    REDACTING = "redacting"  # shop/redact: erasure requests are being opened in batches
    DONE = "done"  # shop/redact: every customer has an erasure request


class ShopifyWebhook(Base):
    """One Shopify webhook delivery, by its ``X-Shopify-Webhook-Id``; no customer data.

    ``orders`` is the JSON list of order ids named by the payload (``orders_to_redact``,
    ``orders_requested``). A shop/redact row carries its progress: the last customer id given
    an erasure request (``redact_cursor``) and how many were opened.
    """

    __tablename__ = "shopify_webhooks"

    webhook_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # X-Shopify-Event-Id: the same on every copy of one event, where a copy may come with a
    # new webhook id (Shopify's own advice for spotting duplicates).
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    topic: Mapped[str] = mapped_column(String(32))
    shop_domain: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("rights_requests.id", ondelete="SET NULL"), nullable=True
    )
    orders: Mapped[str | None] = mapped_column(Text, nullable=True)
    redact_cursor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    redact_opened: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint(
            "outcome IN (" + ", ".join(f"'{o.value}'" for o in Outcome) + ")", name="outcome"
        ),
        Index("uq_shopify_webhooks_event_id", "event_id", unique=True),
        Index("ix_shopify_webhooks_outcome", "outcome"),
        Index("ix_shopify_webhooks_request_id", "request_id"),
    )
