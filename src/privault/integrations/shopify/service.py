"""Shopify privacy webhooks: open the data-subject requests they ask for, once per delivery.

``customers/data_request`` opens an access request, ``customers/redact`` an erasure request
(recording the ``orders_to_redact``), ``shop/redact`` an erasure request for every customer in
the vault, in batches (``continue_shop_redact``). Requests are opened through the rights
service, identity-verified by the webhook's HMAC, and due within Shopify's 30 days.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.common.clock import Clock
from privault.config import Settings
from privault.integrations.shopify import repository
from privault.integrations.shopify.models import Outcome, ShopifyWebhook
from privault.integrations.shopify.rules import Topic, Webhook, check_webhook_id, parse_webhook
from privault.rights import (
    RequestState,
    RequestType,
    get_request,
    open_request,
    rules,
    verify_identity,
)
from privault.webhooks import secret_of

logger = logging.getLogger("privault.shopify")
ACTOR = "shopify"
# Recorded as the operator's verification: the shop vouches for its customer by a webhook
# signed with the app secret (the verification method column knows no "shopify" yet).
VERIFIED_REASON = "identity vouched for by the shop in an HMAC-signed Shopify privacy webhook"
TOPIC_REQUEST = {Topic.DATA_REQUEST: RequestType.ACCESS, Topic.CUSTOMER_REDACT: RequestType.ERASURE}


@dataclass(frozen=True)
class ShopifyConfig:
    """The integration's settings with the app secret read."""

    secret: bytes
    shop_domain: str
    regime: str
    batch_size: int
    max_body_bytes: int


def config_of(settings: Settings) -> ShopifyConfig | None:
    """The integration's configuration, or None when the app secret or shop is not set."""
    shopify = settings.shopify
    secret = secret_of(shopify.app_secret, shopify.app_secret_file, what="shopify app secret")
    if secret is None or shopify.shop_domain is None:
        return None
    return ShopifyConfig(
        secret=secret,
        shop_domain=shopify.shop_domain,
        regime=shopify.regime or settings.rights.default_regime,
        batch_size=shopify.redact_batch_size,
        max_body_bytes=shopify.max_body_bytes,
    )


@dataclass(frozen=True)
class Receipt:
    """How a delivery was answered: its outcome, and the request it opened or reused."""

    outcome: str  # accepted, ignored, redacting, replayed, refused
    request_id: str | None = None


def audit_webhook(*, db_session: Session, audit: AuditLog, topic: str, result: str) -> None:
    """Audit a webhook received: topic and result only (no customer id, no webhook body).

    ``result`` is the receipt's outcome, or ``invalid_hmac``; refusals are audited as denied.
    """
    known = topic if topic in Topic._value2member_map_ else "other"
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=ACTOR,
            operation="shopify.webhook",
            outcome="denied" if result in ("refused", "invalid_hmac") else "ok",
            detail={"topic": known, "result": result},
        ),
    )


def receive_webhook(
    *,
    db_session: Session,
    audit: AuditLog,
    config: ShopifyConfig,
    webhook_id: str | None,
    topic: str,
    body: bytes,
    at: datetime,
    event_id: str | None = None,
) -> Receipt:
    """Act on a delivery whose HMAC was checked: once per webhook id and per event id (when
    Shopify sends one); a replay does nothing."""
    delivery_id = check_webhook_id(webhook_id)
    event = None if event_id is None else check_webhook_id(event_id, what="X-Shopify-Event-Id")
    webhook = parse_webhook(topic, body)
    if webhook is not None and webhook.shop_domain != config.shop_domain:
        logger.warning("shopify webhook for another shop refused (%s)", webhook.topic)
        audit_webhook(db_session=db_session, audit=audit, topic=topic, result="refused")
        return Receipt("refused")
    row = ShopifyWebhook(
        webhook_id=delivery_id,
        event_id=event,
        topic=topic[:32],
        shop_domain=config.shop_domain,
        received_at=at,
        outcome=_first_outcome(webhook).value,
        orders=None if webhook is None or not webhook.orders else json.dumps(webhook.orders),
        redact_opened=0,
    )
    if not repository.add_unless_seen(db_session=db_session, webhook=row):
        audit_webhook(db_session=db_session, audit=audit, topic=topic, result="replayed")
        return Receipt("replayed")
    if webhook is not None and webhook.customer_id is not None:
        row.request_id = _open_verified(
            db_session=db_session,
            audit=audit,
            config=config,
            subject_id=webhook.customer_id,
            request_type=TOPIC_REQUEST[webhook.topic],
            at=at,
        )
        db_session.flush()
    audit_webhook(db_session=db_session, audit=audit, topic=topic, result=row.outcome)
    return Receipt(row.outcome, row.request_id)


def _first_outcome(webhook: Webhook | None) -> Outcome:
    if webhook is None:
        return Outcome.IGNORED
    return Outcome.REDACTING if webhook.topic is Topic.SHOP_REDACT else Outcome.ACCEPTED


def _open_verified(
    *,
    db_session: Session,
    audit: AuditLog,
    config: ShopifyConfig,
    subject_id: str,
    request_type: RequestType,
    at: datetime,
) -> str:
    """Open (or reuse) the customer's request and record their identity as verified."""
    opened = open_request(
        db_session=db_session,
        audit=audit,
        subject_id=subject_id,
        request_type=request_type,
        regime=config.regime,
        at=at,
        actor=ACTOR,
        within_days=rules.SHOPIFY_DAYS,
    )
    if opened.request.state == RequestState.RECEIVED.value:
        verify_identity(
            db_session=db_session,
            audit=audit,
            request_id=opened.request.id,
            method="operator",
            at=at,
            actor=ACTOR,
            reason=VERIFIED_REASON,
        )
    return opened.request.id


@dataclass(frozen=True)
class RedactProgress:
    """One batch of a shop/redact: the webhook, requests opened so far, and whether done."""

    webhook_id: str
    opened: int
    done: bool


def continue_shop_redact(
    *, db_session: Session, audit: AuditLog, config: ShopifyConfig, at: datetime
) -> RedactProgress | None:
    """Open erasure requests for the next batch of customers of the oldest pending shop/redact.

    Each batch is one transaction that also moves the cursor, so a crash repeats at most the
    batch (and reopening is deduplicated). None when no shop/redact is pending.
    """
    job = repository.next_shop_redact(db_session=db_session)
    if job is None:
        return None
    customers = repository.customers_after(
        db_session=db_session, after=job.redact_cursor, limit=config.batch_size
    )
    for subject_id in customers:
        # Due 30 days after the webhook arrived, not after this batch ran.
        _open_verified(
            db_session=db_session,
            audit=audit,
            config=config,
            subject_id=subject_id,
            request_type=RequestType.ERASURE,
            at=job.received_at,
        )
    job.redact_opened += len(customers)
    if customers:
        job.redact_cursor = customers[-1]
    done = len(customers) < config.batch_size
    if done:
        job.outcome = Outcome.DONE.value
        audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=ACTOR,
                operation="shopify.shop_redact",
                detail={"requests": job.redact_opened},
            ),
        )
    db_session.flush()
    return RedactProgress(job.webhook_id, job.redact_opened, done)


def orders_of_request(*, db_session: Session, request_id: str) -> list[int]:
    """The Shopify order ids the webhooks behind a request named (orders_to_redact ...)."""
    request = get_request(db_session=db_session, request_id=request_id)
    orders: list[int] = []
    for row in repository.for_request(db_session=db_session, request_id=request.id):
        orders.extend(o for o in json.loads(row.orders or "[]") if o not in orders)
    return orders


def recent_webhooks(*, db_session: Session, limit: int = 50) -> list[ShopifyWebhook]:
    """The newest deliveries received, for inspection."""
    return repository.list_recent(db_session=db_session, limit=limit)


def shop_redact_task(
    *,
    sessions: Callable[[], AbstractContextManager[Session]],
    audit: AuditLog,
    config: ShopifyConfig,
    clock: Clock,
    max_batches: int = 20,
    read_sessions: Callable[[], AbstractContextManager[Session]] | None = None,
) -> Callable[[], int]:
    """A background task: up to ``max_batches`` batches of pending shop/redacts per call.

    With ``read_sessions`` an idle call only reads (on SQLite it does not queue for the write
    lock).
    """

    def run() -> int:
        if read_sessions is not None:
            with read_sessions() as db_session:
                if not repository.has_shop_redact(db_session=db_session):
                    return 0
        batches = 0
        while batches < max_batches:
            with sessions() as db_session:
                progress = continue_shop_redact(
                    db_session=db_session, audit=audit, config=config, at=clock.now()
                )
            if progress is None:
                break
            batches += 1
        return batches

    return run
