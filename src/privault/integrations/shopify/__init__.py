"""Shopify's mandatory privacy webhooks: HMAC-checked, deduplicated, turned into requests."""

from __future__ import annotations

from privault.integrations.shopify.models import Outcome, ShopifyWebhook
from privault.integrations.shopify.rules import Topic, Webhook, hmac_matches, parse_webhook
from privault.integrations.shopify.service import (
    ACTOR,
    Receipt,
    RedactProgress,
    ShopifyConfig,
    audit_webhook,
    config_of,
    continue_shop_redact,
    orders_of_request,
    receive_webhook,
    recent_webhooks,
    shop_redact_task,
)

__all__ = [
    "ACTOR",
    "Outcome",
    "Receipt",
    "RedactProgress",
    "ShopifyConfig",
    "ShopifyWebhook",
    "Topic",
    "Webhook",
    "audit_webhook",
    "config_of",
    "continue_shop_redact",
    "hmac_matches",
    "orders_of_request",
    "parse_webhook",
    "receive_webhook",
    "recent_webhooks",
    "shop_redact_task",
]
