"""Outgoing webhooks: request and erasure events, signed, retried with backoff from the database.

Events are written in the transaction of the change they report (``enqueue_event``,
``notify_request_state``); workers deliver them (``deliver_due``, ``DeliveryWorker``).
Receivers check a delivery with ``verify_signature``.
"""

from __future__ import annotations

from privault.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent
from privault.webhooks.rules import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    backoff_delay,
    request_event_type,
    sign,
    subscribed,
    verify_signature,
)
from privault.webhooks.schemas import WebhookDeliveryRead
from privault.webhooks.sender import Answer, HttpSender, Sender
from privault.webhooks.service import (
    Claimed,
    DeliveryReport,
    Endpoint,
    claim_due,
    deliver_due,
    endpoints_of,
    enqueue_event,
    fan_out,
    get_delivery,
    list_deliveries,
    notify_request_state,
    record_answer,
    retry,
    secret_of,
)
from privault.webhooks.worker import DeliveryWorker

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "Answer",
    "Claimed",
    "DeliveryReport",
    "DeliveryState",
    "DeliveryWorker",
    "Endpoint",
    "HttpSender",
    "Sender",
    "WebhookDelivery",
    "WebhookDeliveryRead",
    "WebhookEvent",
    "backoff_delay",
    "claim_due",
    "deliver_due",
    "endpoints_of",
    "enqueue_event",
    "fan_out",
    "get_delivery",
    "list_deliveries",
    "notify_request_state",
    "record_answer",
    "request_event_type",
    "retry",
    "secret_of",
    "sign",
    "subscribed",
    "verify_signature",
]
