"""Shopify webhook rules: the HMAC over the raw body, and payloads matched to their topic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from privault.errors import InvalidInput
from privault.integrations.shopify import Topic, hmac_matches, parse_webhook
from privault.integrations.shopify.rules import check_webhook_id
from privault.rights import Regime, rules

SECRET = b"shpss_0123456789abcdef"
SHOP = "example-shop.myshopify.com"


def signed(body: bytes, secret: bytes = SECRET) -> str:
    """Shopify's header value: base64 of the raw HMAC-SHA256 digest."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def body_of(document: object) -> bytes:
    """A payload as Shopify would send it."""
    return json.dumps(document).encode()


DATA_REQUEST = {
    "shop_id": 954889,
    "shop_domain": SHOP,
    "orders_requested": [299938, 280263],
    "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
    "data_request": {"id": 9999},
}
REDACT = {
    "shop_id": 954889,
    "shop_domain": SHOP,
    "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
    "orders_to_redact": [299938, 280263, 220458],
}
SHOP_REDACT = {"shop_id": 954889, "shop_domain": SHOP}


class TestHmac:
    """base64(HMAC-SHA256(app secret, raw body)), compared in constant time."""

    def test_matching_header(self) -> None:
        """The header Shopify computes matches."""
        body = body_of(REDACT)
        assert hmac_matches(SECRET, body, signed(body))

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "not base64!",
            signed(b"other body"),
            signed(body_of(REDACT), b"other-secret-0123456"),
            signed(body_of(REDACT)).rstrip("=") + "A=",
            "A" * 200,
        ],
    )
    def test_other_headers_do_not_match(self, header: str | None) -> None:
        """Missing, malformed, for another body or secret, or oversized: no match."""
        assert not hmac_matches(SECRET, body_of(REDACT), header)

    def test_reformatted_json_does_not_match(self) -> None:
        """The HMAC covers the bytes, not the parsed document: re-serialising breaks it."""
        body = body_of(REDACT)
        assert not hmac_matches(SECRET, json.dumps(REDACT, indent=1).encode(), signed(body))

    def test_no_secret_never_matches(self) -> None:
        """An empty secret is never accepted (HMAC under an empty key is forgeable)."""
        assert not hmac_matches(b"", b"{}", signed(b"{}", b""))


class TestPayloads:
    """What is taken from each topic, and payloads that do not fit their topic."""

    def test_data_request(self) -> None:
        """The customer id (as a string) and the orders requested; no e-mail or phone."""
        webhook = parse_webhook("customers/data_request", body_of(DATA_REQUEST))
        assert webhook is not None
        assert (webhook.topic, webhook.shop_domain, webhook.customer_id) == (
            Topic.DATA_REQUEST,
            SHOP,
            "191167",
        )
        assert webhook.orders == (299938, 280263)
        assert "john" not in repr(webhook)

    def test_customer_redact(self) -> None:
        """The orders to redact are kept with the customer id."""
        webhook = parse_webhook("customers/redact", body_of(REDACT))
        assert webhook is not None
        assert webhook.customer_id == "191167"
        assert webhook.orders == (299938, 280263, 220458)

    def test_shop_redact(self) -> None:
        """The shop only."""
        webhook = parse_webhook("shop/redact", body_of(SHOP_REDACT))
        assert webhook is not None
        assert (webhook.customer_id, webhook.orders) == (None, ())

    def test_other_topics_are_not_parsed(self) -> None:
        """A topic privault does not act on gives None (acknowledged, ignored)."""
        assert parse_webhook("orders/create", b"not even json") is None

    @pytest.mark.parametrize(
        ("topic", "document"),
        [
            ("customers/redact", DATA_REQUEST),  # a data request replayed as a redaction
            ("customers/data_request", REDACT),  # and the other way round
            ("shop/redact", REDACT),  # a customer's redaction as the whole shop's
            ("customers/redact", SHOP_REDACT),  # no customer
        ],
    )
    def test_topic_swaps_are_refused(self, topic: str, document: object) -> None:
        """The unsigned topic header must agree with the signed body's shape."""
        with pytest.raises(InvalidInput):
            parse_webhook(topic, body_of(document))

    @pytest.mark.parametrize(
        "document",
        [
            [],
            "text",
            {**REDACT, "shop_domain": "evil.example.com"},
            {**REDACT, "shop_domain": None},
            {**REDACT, "customer": {"id": "1; DROP TABLE"}},
            {**REDACT, "customer": {"id": True}},
            {**REDACT, "customer": {"id": 10**30}},
            {**REDACT, "customer": None},
            {**REDACT, "orders_to_redact": "1,2"},
            {**REDACT, "orders_to_redact": [1, "2"]},
            {**REDACT, "orders_to_redact": [True]},
            {**REDACT, "orders_to_redact": [-1]},
            {**REDACT, "orders_to_redact": list(range(1, 10_002))},
        ],
    )
    def test_malformed_payloads_are_refused(self, document: object) -> None:
        """Anything but the documented shape is InvalidInput, never a crash."""
        with pytest.raises(InvalidInput):
            parse_webhook("customers/redact", body_of(document))

    def test_non_json_is_refused(self) -> None:
        """Bytes that are not JSON (or not UTF-8) are InvalidInput."""
        for body in (b"\xff\xfe", b"{", b""):
            with pytest.raises(InvalidInput):
                parse_webhook("shop/redact", body)

    @pytest.mark.parametrize("webhook_id", [None, "", "a b", "x" * 256, "id\n"])
    def test_webhook_ids_are_checked(self, webhook_id: str | None) -> None:
        """The delivery id is required and plain."""
        with pytest.raises(InvalidInput):
            check_webhook_id(webhook_id)


class TestDeadline:
    """Shopify's 30 days against the regime's deadline: the earlier applies."""

    @pytest.mark.parametrize(
        ("regime", "received", "due"),
        [
            (
                Regime.GDPR,
                datetime(2025, 3, 1, 9, tzinfo=UTC),
                datetime(2025, 3, 31, 9, tzinfo=UTC),
            ),
            (
                Regime.GDPR,
                datetime(2025, 1, 31, 9, tzinfo=UTC),
                datetime(2025, 2, 28, 9, tzinfo=UTC),
            ),
            (
                Regime.GDPR,
                datetime(2025, 4, 30, 9, tzinfo=UTC),
                datetime(2025, 5, 30, 9, tzinfo=UTC),
            ),
            (
                Regime.CCPA,
                datetime(2025, 3, 1, 9, tzinfo=UTC),
                datetime(2025, 3, 31, 9, tzinfo=UTC),
            ),
        ],
    )
    def test_earliest_due(self, regime: Regime, received: datetime, due: datetime) -> None:
        """30 days on, unless GDPR's month ends sooner (a February)."""
        assert rules.earliest_due(regime=regime, received_at=received, within_days=30) == due

    def test_without_a_platform_deadline_the_law_applies(self) -> None:
        """within_days None is the regime's own deadline (existing behaviour)."""
        received = datetime(2025, 3, 1, 9, tzinfo=UTC)
        assert rules.earliest_due(
            regime=Regime.CCPA, received_at=received, within_days=None
        ) == rules.response_due(regime=Regime.CCPA, received_at=received)

    @pytest.mark.parametrize("days", [0, -30])
    def test_platform_deadline_is_at_least_a_day(self, days: int) -> None:
        """A zero or negative platform deadline is a mistake, not 'due now'."""
        with pytest.raises(InvalidInput):
            rules.earliest_due(
                regime=Regime.GDPR, received_at=datetime(2025, 3, 1, tzinfo=UTC), within_days=days
            )
