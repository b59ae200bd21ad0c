"""Fixtures of the Shopify webhook tests: a configured app, signed deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from privault.api import create_app
from privault.config import Settings, ShopifySettings, WebhookSettings
from privault.vault import Vault

from ..webhooks.homes import fresh_home, sqlite_template

__all__ = ["sqlite_template"]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "shpss_test_0123456789abcdef"
SHOP = "example-shop.myshopify.com"
URL = "/v1/integrations/shopify/webhooks"


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.moment


def shopify_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test home with the integration configured and no background loop."""
    shopify = ShopifySettings(app_secret=SecretStr(SECRET), shop_domain=SHOP, **overrides)
    return settings.model_copy(
        update={"shopify": shopify, "webhooks": WebhookSettings(deliver_in_server=False)}
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings for a new, initialised home (copied from the template on SQLite)."""
    return fresh_home(database_url, tmp_path, sqlite_template)


@pytest.fixture
def configured(settings: Settings) -> Settings:
    """Settings with the Shopify integration on."""
    return shopify_settings(settings, redact_batch_size=2)


@pytest.fixture
def opened(configured: Settings) -> Iterator[Vault]:
    """The vault the app serves, on a frozen clock."""
    with Vault.open(configured, clock=FrozenClock(T0)) as vault:
        yield vault


@pytest.fixture
def client(configured: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app."""
    with TestClient(create_app(configured, vault=opened)) as test_client:
        yield test_client


def signature(body: bytes, secret: str = SECRET) -> str:
    """X-Shopify-Hmac-Sha256 of a body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(
    client: TestClient,
    topic: str,
    document: object,
    *,
    webhook_id: str | None = None,
    secret: str = SECRET,
    hmac_header: str | None = None,
    event_id: str | None = None,
) -> httpx2.Response:
    """POST a webhook the way Shopify does: raw JSON body, HMAC and topic headers."""
    body = json.dumps(document).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": hmac_header
        if hmac_header is not None
        else signature(body, secret),
    }
    if event_id is not None:
        headers["X-Shopify-Event-Id"] = event_id
    return client.post(URL, content=body, headers=headers)


def data_request(customer_id: int = 191167, shop: str = SHOP) -> dict[str, Any]:
    """A customers/data_request payload."""
    return {
        "shop_id": 954889,
        "shop_domain": shop,
        "orders_requested": [299938, 280263],
        "customer": {"id": customer_id, "email": "john@example.com", "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }


def customer_redact(customer_id: int = 191167, shop: str = SHOP) -> dict[str, Any]:
    """A customers/redact payload."""
    return {
        "shop_id": 954889,
        "shop_domain": shop,
        "customer": {"id": customer_id, "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": [299938, 280263, 220458],
    }


def shop_redact(shop: str = SHOP) -> dict[str, Any]:
    """A shop/redact payload."""
    return {"shop_id": 954889, "shop_domain": shop}
