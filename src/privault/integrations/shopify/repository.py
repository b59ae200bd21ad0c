"""Queries of received Shopify webhooks (flush, never commit)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.crypto import SubjectKey
from privault.integrations.shopify.models import Outcome, ShopifyWebhook


def add_unless_seen(*, db_session: Session, webhook: ShopifyWebhook) -> bool:
    """Insert the delivery; False (nothing written) when its id was received before.

    The primary key decides, so two copies racing cannot both insert; the savepoint keeps the
    caller's transaction usable after the refusal.
    """
    try:
        with db_session.begin_nested():
            db_session.add(webhook)
            db_session.flush()
    except IntegrityError:
        return False
    return True


def next_shop_redact(*, db_session: Session) -> ShopifyWebhook | None:
    """The oldest shop/redact still opening requests, locked (skipped if another has it)."""
    return db_session.scalars(
        select(ShopifyWebhook)
        .where(ShopifyWebhook.outcome == Outcome.REDACTING.value)
        .order_by(ShopifyWebhook.received_at, ShopifyWebhook.webhook_id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()


def has_shop_redact(*, db_session: Session) -> bool:
    """Whether a shop/redact is still opening requests (no lock taken)."""
    return (
        db_session.scalar(
            select(ShopifyWebhook.webhook_id)
            .where(ShopifyWebhook.outcome == Outcome.REDACTING.value)
            .limit(1)
        )
        is not None
    )


def customers_after(*, db_session: Session, after: str | None, limit: int) -> list[str]:
    """Customer ids in the vault (those with a data key), in order, after ``after``."""
    query = select(SubjectKey.subject_id).order_by(SubjectKey.subject_id).limit(limit)
    if after is not None:
        query = query.where(SubjectKey.subject_id > after)
    return list(db_session.scalars(query))


def for_request(*, db_session: Session, request_id: str) -> list[ShopifyWebhook]:
    """The webhooks that opened (or reused) a request, oldest first."""
    return list(
        db_session.scalars(
            select(ShopifyWebhook)
            .where(ShopifyWebhook.request_id == request_id)
            .order_by(ShopifyWebhook.received_at, ShopifyWebhook.webhook_id)
        )
    )


def list_recent(*, db_session: Session, limit: int) -> list[ShopifyWebhook]:
    """The newest webhooks received."""
    return list(
        db_session.scalars(
            select(ShopifyWebhook).order_by(ShopifyWebhook.received_at.desc()).limit(limit)
        )
    )
