"""Shopify's mandatory privacy webhooks, pure: the HMAC check and the payloads. No I/O.

Shopify signs each webhook with the app's client secret: ``X-Shopify-Hmac-Sha256`` is
base64(HMAC-SHA256(secret, raw body)). The topic travels in an unsigned header, so the body's
shape must agree with it: a captured ``customers/data_request`` cannot be replayed as a
``customers/redact`` (which needs ``orders_to_redact``), nor a customer's payload as
``shop/redact`` (which names no customer).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from privault.errors import InvalidInput

MAX_ORDERS = 10_000
WEBHOOK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
CUSTOMER_ID = re.compile(r"^[0-9]{1,20}$")


class Topic(StrEnum):
    """The privacy topics every Shopify app must answer."""

    DATA_REQUEST = "customers/data_request"
    CUSTOMER_REDACT = "customers/redact"
    SHOP_REDACT = "shop/redact"


@dataclass(frozen=True)
class Webhook:
    """What privault takes from a payload: ids only (e-mail and phone are not kept)."""

    topic: Topic
    shop_domain: str
    customer_id: str | None
    orders: tuple[int, ...]


def hmac_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is base64(HMAC-SHA256(secret, body)); constant-time comparison."""
    if not secret or not header or len(header) > 128:
        return False
    try:
        presented = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, presented)


def check_webhook_id(webhook_id: str | None, *, what: str = "X-Shopify-Webhook-Id") -> str:
    """The delivery id Shopify repeats on retries; InvalidInput when missing or malformed."""
    if webhook_id is None or not WEBHOOK_ID.fullmatch(webhook_id):
        raise InvalidInput(f"{what} is missing or malformed", code="invalid_webhook_id")
    return webhook_id


def _customer_id(document: dict[str, Any]) -> str:
    customer = document.get("customer")
    raw = customer.get("id") if isinstance(customer, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidInput("the payload names no customer id", code="invalid_payload")
    text = str(raw)
    if not CUSTOMER_ID.fullmatch(text):
        raise InvalidInput("the customer id is not a Shopify id", code="invalid_payload")
    return text


def _orders(document: dict[str, Any], key: str, *, required: bool) -> tuple[int, ...]:
    if key not in document and not required:
        return ()
    raw = document.get(key)
    if not isinstance(raw, list) or len(raw) > MAX_ORDERS:
        raise InvalidInput(f"{key} must be a list of order ids", code="invalid_payload")
    if not all(isinstance(o, int) and not isinstance(o, bool) and 0 < o < 2**63 for o in raw):
        raise InvalidInput(f"{key} must be a list of order ids", code="invalid_payload")
    return tuple(raw)


def parse_webhook(topic: str, body: bytes) -> Webhook | None:
    """The webhook of a privacy topic; None for another topic; InvalidInput when malformed."""
    if topic not in Topic._value2member_map_:
        return None
    kind = Topic(topic)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the payload is not JSON", code="invalid_payload") from None
    if not isinstance(document, dict):
        raise InvalidInput("the payload is not a JSON object", code="invalid_payload")
    domain = document.get("shop_domain")
    if not isinstance(domain, str) or not SHOP_DOMAIN.fullmatch(domain):
        raise InvalidInput("the payload names no shop domain", code="invalid_payload")
    if kind is Topic.SHOP_REDACT:
        if "customer" in document:
            raise InvalidInput("shop/redact names no customer", code="topic_mismatch")
        return Webhook(kind, domain, None, ())
    customer_id = _customer_id(document)
    if kind is Topic.CUSTOMER_REDACT:
        orders = _orders(document, "orders_to_redact", required=True)
    else:
        if "orders_to_redact" in document or not (
            "data_request" in document or "orders_requested" in document
        ):
            raise InvalidInput("the payload is not a data request", code="topic_mismatch")
        orders = _orders(document, "orders_requested", required=False)
    return Webhook(kind, domain, customer_id, orders)
