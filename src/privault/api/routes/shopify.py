"""``/v1/integrations/shopify/webhooks``: Shopify's mandatory privacy webhooks.

Authenticated by the HMAC Shopify computes over the raw body with the app's client secret,
not by an API key: the route reads the body as bytes before anything parses it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from privault.api.deps import SessionDep, VaultDep
from privault.api.errors import problem
from privault.integrations.shopify import (
    ShopifyConfig,
    audit_webhook,
    hmac_matches,
    receive_webhook,
)

router = APIRouter(tags=["integrations"])


class ShopifyAck(BaseModel):
    """The acknowledgement Shopify waits for (any 2xx)."""

    outcome: str = Field(
        description="accepted, ignored (another topic), redacting (shop/redact under way) or "
        "replayed (this webhook id was handled before; nothing was done again).",
        examples=["accepted"],
    )


async def raw_body(request: Request) -> bytes:
    """The request body exactly as sent (the HMAC covers these bytes)."""
    return await request.body()


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "X-Shopify-Hmac-Sha256 is missing or does not match the body."},
    403: {"description": "The webhook is for a shop this vault does not serve."},
    404: {"description": "The Shopify integration is not configured."},
    413: {"description": "The body is larger than the configured limit."},
}


@router.post(
    "/v1/integrations/shopify/webhooks",
    response_model=ShopifyAck,
    summary="Receive a Shopify privacy webhook",
    responses=_RESPONSES,
)
def shopify_webhook(
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    body: Annotated[bytes, Depends(raw_body)],
    hmac_header: Annotated[
        str | None,
        Header(alias="X-Shopify-Hmac-Sha256", description="base64 HMAC-SHA256 of the body."),
    ] = None,
    topic: Annotated[
        str | None,
        Header(
            alias="X-Shopify-Topic",
            description="customers/data_request, customers/redact, "
            "shop/redact (others are acknowledged and ignored).",
        ),
    ] = None,
    webhook_id: Annotated[
        str | None,
        Header(alias="X-Shopify-Webhook-Id", description="Delivery id; repeats are done once."),
    ] = None,
    event_id: Annotated[
        str | None,
        Header(alias="X-Shopify-Event-Id", description="Event id; copies are done once."),
    ] = None,
) -> ShopifyAck | JSONResponse:
    """Open an access request (data_request) or erasure requests (customers/redact,
    shop/redact), identity-verified by the HMAC, due within Shopify's 30 days."""
    config: ShopifyConfig | None = getattr(request.app.state, "shopify", None)
    path = request.url.path
    if config is None:
        return problem(404, detail="the Shopify integration is not configured",
                       code="shopify_not_configured", instance=path)  # fmt: skip
    if len(body) > config.max_body_bytes:
        return problem(413, detail="the webhook body is too large", code="body_too_large",
                       instance=path)  # fmt: skip
    now = vault.records.clock.now()
    if not hmac_matches(config.secret, body, hmac_header):
        audit_webhook(db_session=db_session, audit=vault.audit, topic=topic or "",
                      result="invalid_hmac")  # fmt: skip
        return problem(401, detail="the webhook signature does not match",
                       code="invalid_hmac", instance=path)  # fmt: skip
    receipt = receive_webhook(
        db_session=db_session,
        audit=vault.audit,
        config=config,
        webhook_id=webhook_id,
        event_id=event_id,
        topic=topic or "",
        body=body,
        at=now,
    )
    if receipt.outcome == "refused":
        return problem(403, detail="this vault does not serve that shop",
                       code="shop_not_served", instance=path)  # fmt: skip
    return ShopifyAck(outcome=receipt.outcome)
