"""Outgoing webhook use cases: enqueue in the change's transaction, fan out, claim, deliver.

The events table is a transactional outbox: an event exists exactly when the change it
reports committed. Workers (the server's background loop, ``privault webhooks deliver``) fan
events out into one delivery per subscribed endpoint and send those that are due. Every step
that two processes could race on is a compare-and-set update, so a delivery is attempted by
one worker at a time; a worker that dies mid-attempt loses its lease and the delivery is tried
again (at-least-once: receivers dedupe on ``Privault-Event-Id``).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.common.clock import Clock
from privault.common.ids import new_id
from privault.config import WebhookEndpoint, WebhookSettings
from privault.errors import Conflict, InvalidInput, NotFound
from privault.webhooks import repository
from privault.webhooks import rules as w
from privault.webhooks.models import ID_LENGTH, DeliveryState, WebhookDelivery, WebhookEvent
from privault.webhooks.sender import Answer, Sender

logger = logging.getLogger("privault.webhooks")
DataValue = str | int | bool | None | list[str] | list[int]
Sessions = Callable[[], AbstractContextManager[Session]]


def secret_of(value: SecretStr | None, path: Path | None, *, what: str) -> bytes | None:
    """A secret given inline or in a file (trailing newline ignored); None when neither."""
    if value is not None and path is not None:
        raise InvalidInput(f"{what}: give the secret or its file, not both", code="two_secrets")
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"{what}: cannot read the secret file ({type(exc).__name__})",
                code="secret_file_unreadable",
            ) from None
        secret = text.encode()
    elif value is not None:
        secret = value.get_secret_value().encode()
    else:
        return None
    if len(secret) < 16:
        raise InvalidInput(f"{what}: the secret must be at least 16 bytes", code="weak_secret")
    return secret


@dataclass(frozen=True)
class Endpoint:
    """A configured endpoint with its secret read."""

    name: str
    url: str
    secret: bytes
    events: tuple[str, ...]


def endpoints_of(settings: WebhookSettings) -> dict[str, Endpoint]:
    """The configured endpoints by name; InvalidInput for a missing secret or a repeated name."""
    found: dict[str, Endpoint] = {}
    for item in settings.endpoints:
        found[item.name] = _endpoint(item)
    if len(found) != len(settings.endpoints):
        raise InvalidInput("webhook endpoint names must be unique", code="duplicate_endpoint")
    return found


def _endpoint(item: WebhookEndpoint) -> Endpoint:
    what = f"webhook endpoint {item.name}"
    secret = secret_of(item.secret, item.secret_file, what=what)
    if secret is None:
        raise InvalidInput(f"{what} has no signing secret", code="missing_secret")
    for pattern in item.events:
        if not pattern or len(pattern) > 64:
            raise InvalidInput(f"{what}: bad event pattern", code="invalid_event_pattern")
    return Endpoint(name=item.name, url=item.url, secret=secret, events=tuple(item.events))


def enqueue_event(
    *, db_session: Session, event_type: str, at: datetime, data: Mapping[str, DataValue]
) -> WebhookEvent:
    """Write an event to the outbox, in the caller's transaction (identifiers only, no values)."""
    event = WebhookEvent(
        id=new_id("evt"),
        type=w.check_event_type(event_type),
        occurred_at=at,
        data=json.dumps(dict(data), sort_keys=True, separators=(",", ":")),
    )
    repository.add_event(db_session=db_session, event=event)
    return event


def notify_request_state(
    *,
    db_session: Session,
    request_id: str,
    request_type: str,
    state: str,
    subject_id: str,
    at: datetime,
) -> WebhookEvent:
    """Enqueue the event of a data-subject request reaching ``state``."""
    return enqueue_event(
        db_session=db_session,
        event_type=w.request_event_type(request_type, state),
        at=at,
        data={
            "request_id": request_id,
            "request_type": request_type,
            "state": state,
            "subject_id": subject_id,
        },
    )


def fan_out(
    *, db_session: Session, endpoints: Mapping[str, Endpoint], at: datetime, limit: int = 200
) -> int:
    """Turn new events into deliveries to the endpoints subscribed now; the number created."""
    created = 0
    for event_id in repository.undispatched_ids(db_session=db_session, limit=limit):
        event = repository.mark_dispatched(db_session=db_session, event_id=event_id, at=at)
        if event is None:
            continue  # another worker fanned it out
        deliveries = [
            WebhookDelivery(
                id=new_id("whd"),
                event_id=event.id,
                endpoint=endpoint.name,
                state=DeliveryState.PENDING.value,
                attempts=0,
                created_at=at,
                next_attempt_at=at,
            )
            for endpoint in endpoints.values()
            if w.subscribed(endpoint.events, event.type)
        ]
        repository.add_deliveries(db_session=db_session, deliveries=deliveries)
        created += len(deliveries)
    return created


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker owns until ``claimed_until``, with the body to send."""

    delivery_id: str
    endpoint: str
    event_id: str
    attempts: int
    claimed_until: datetime
    body: bytes


def claim_due(
    *,
    db_session: Session,
    at: datetime,
    lease: timedelta,
    limit: int = 50,
    max_attempts: int | None = None,
) -> list[Claimed]:
    """Claim deliveries due at ``at`` for ``lease``; each attempt is counted when claimed.

    A delivery claimed more than ``max_attempts`` times (its workers died mid-send, lease
    after lease) is dead instead of claimed again.
    """
    until = at + lease
    claimed: list[Claimed] = []
    for delivery_id in repository.due_ids(db_session=db_session, now=at, limit=limit):
        if not repository.claim(
            db_session=db_session, delivery_id=delivery_id, now=at, until=until
        ):
            continue
        delivery = repository.get_delivery(db_session=db_session, delivery_id=delivery_id)
        if delivery is not None and max_attempts is not None and delivery.attempts > max_attempts:
            values: dict[str, object] = {
                "state": DeliveryState.DEAD.value,
                "attempts": max_attempts,
                "last_error": "attempt lost (lease expired)",
            }
            repository.settle(
                db_session=db_session, delivery_id=delivery_id, claimed_until=until, values=values
            )
            continue
        event = (
            None
            if delivery is None
            else repository.get_event(db_session=db_session, event_id=delivery.event_id)
        )
        if delivery is None or event is None:  # pragma: no cover - the claim just saw it
            continue
        body = w.payload(
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.occurred_at,
            data=json.loads(event.data),
        )
        claimed.append(
            Claimed(delivery.id, delivery.endpoint, event.id, delivery.attempts, until, body)
        )
    return claimed


def record_answer(
    *,
    db_session: Session,
    claimed: Claimed,
    answer: Answer | None,
    at: datetime,
    settings: WebhookSettings,
    jitter: float,
) -> DeliveryState | None:
    """Settle an attempt: delivered, failed (retried later) or dead; None if the lease was lost.

    ``answer`` None means the endpoint is no longer configured: the delivery is dead at once.
    """
    if answer is not None and answer.ok:
        state = DeliveryState.DELIVERED
        values: dict[str, object] = {"delivered_at": at, "last_error": None}
    else:
        exhausted = answer is None or claimed.attempts >= settings.max_attempts
        state = DeliveryState.DEAD if exhausted else DeliveryState.FAILED
        delay = w.backoff_delay(
            claimed.attempts,
            base_s=settings.backoff_base_s,
            cap_s=settings.backoff_max_s,
            jitter=jitter,
        )
        values = {
            "next_attempt_at": at + timedelta(seconds=delay),
            "last_error": "endpoint not configured"
            if answer is None
            else w.error_text(answer.status, answer.error),
        }
    values["state"] = state.value
    values["last_status"] = None if answer is None else answer.status
    settled = repository.settle(
        db_session=db_session,
        delivery_id=claimed.delivery_id,
        claimed_until=claimed.claimed_until,
        values=values,
    )
    return state if settled else None


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def deliver_due(
    *,
    sessions: Sessions,
    settings: WebhookSettings,
    sender: Sender,
    clock: Clock,
    rng: random.Random | None = None,
    limit: int = 50,
    read_sessions: Sessions | None = None,
) -> DeliveryReport:
    """One round: fan out new events, claim what is due, send each, record each answer.

    Each step is its own transaction and no transaction is open during a send, so a slow
    endpoint holds no lock. With ``read_sessions`` an idle round only reads (on SQLite it does
    not queue for the write lock).
    """
    endpoints = endpoints_of(settings)
    jitters = rng or random.SystemRandom()
    report = DeliveryReport()
    if read_sessions is not None:
        with read_sessions() as db_session:
            if not repository.has_work(db_session=db_session, now=clock.now()):
                return report
    with sessions() as db_session:
        report.fanned_out = fan_out(db_session=db_session, endpoints=endpoints, at=clock.now())
    with sessions() as db_session:
        claimed = claim_due(
            db_session=db_session,
            at=clock.now(),
            lease=timedelta(seconds=settings.lease_s),
            limit=limit,
            max_attempts=settings.max_attempts,
        )
    for item in claimed:
        endpoint = endpoints.get(item.endpoint)
        answer = None if endpoint is None else _send(sender, endpoint, item, clock)
        with sessions() as db_session:
            state = record_answer(
                db_session=db_session,
                claimed=item,
                answer=answer,
                at=clock.now(),
                settings=settings,
                jitter=jitters.random(),
            )
        if state is DeliveryState.DELIVERED:
            report.delivered += 1
        elif state is DeliveryState.FAILED:
            report.failed += 1
        elif state is DeliveryState.DEAD:
            report.dead += 1
        if state is not DeliveryState.DELIVERED:
            logger.warning("webhook delivery %s to %s: %s", item.delivery_id, item.endpoint, state)
    return report


def _send(sender: Sender, endpoint: Endpoint, item: Claimed, clock: Clock) -> Answer:
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        w.EVENT_ID_HEADER: item.event_id,
        w.SIGNATURE_HEADER: w.sign(endpoint.secret, item.body, timestamp=timestamp),
    }
    try:
        return sender.post(endpoint.url, item.body, headers)
    except Exception as exc:  # a sender's bug is one failed attempt, not a stuck delivery
        return Answer(status=None, error=exc)


def get_delivery(*, db_session: Session, delivery_id: str) -> tuple[WebhookDelivery, WebhookEvent]:
    """A delivery and its event; NotFound when there is none."""
    found = None
    if isinstance(delivery_id, str) and len(delivery_id) <= ID_LENGTH:
        found = repository.get_delivery(db_session=db_session, delivery_id=delivery_id)
    event = (
        None
        if found is None
        else repository.get_event(db_session=db_session, event_id=found.event_id)
    )
    if found is None or event is None:
        raise NotFound("no such delivery", code="delivery_not_found")
    return found, event


def retry(
    *, db_session: Session, audit: AuditLog, delivery_id: str, at: datetime, actor: str
) -> WebhookDelivery:
    """Send a failed or dead delivery again now, with its attempts counted afresh (audited)."""
    delivery, _ = get_delivery(db_session=db_session, delivery_id=delivery_id)
    if delivery.state == DeliveryState.DELIVERED.value:
        raise Conflict("the delivery was delivered already", code="already_delivered")
    delivery.state = DeliveryState.PENDING.value
    delivery.attempts = 0
    delivery.next_attempt_at = at
    delivery.claimed_until = None
    db_session.flush()
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="webhooks.retry",
            detail={"delivery": delivery.id, "endpoint": delivery.endpoint},
        ),
    )
    return delivery


def list_deliveries(
    *,
    db_session: Session,
    state: str | None = None,
    endpoint: str | None = None,
    limit: int = 100,
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """Deliveries and their events, newest first."""
    if state is not None and state not in DeliveryState._value2member_map_:
        raise InvalidInput(
            f"state must be one of: {', '.join(DeliveryState)}", code="invalid_state"
        )
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000", code="invalid_limit")
    return repository.list_deliveries(
        db_session=db_session, state=state, endpoint=endpoint, limit=limit
    )
