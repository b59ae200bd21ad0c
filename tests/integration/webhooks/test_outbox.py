"""The outbox and its claims: events written with the change, fanned out, claimed once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from privault.errors import Conflict, InvalidInput, NotFound
from privault.rights import deny, open_request
from privault.vault import Vault
from privault.webhooks import (
    Answer,
    DeliveryState,
    WebhookDelivery,
    WebhookEvent,
    claim_due,
    endpoints_of,
    fan_out,
    list_deliveries,
    record_answer,
    retry,
)

from .conftest import ACTOR, FrozenClock, endpoint, erase_request, webhook_settings

LEASE = timedelta(seconds=60)


def events(vault: Vault) -> list[WebhookEvent]:
    """Every event, oldest first."""
    with vault.session() as s:
        return list(s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def fanned(vault: Vault, *patterns: list[str]) -> int:
    """Fan out to endpoints ``a``, ``b`` ... subscribed to ``patterns``; deliveries made."""
    settings = webhook_settings(
        *(endpoint("http://127.0.0.1:9/x", f"ep{i}", p) for i, p in enumerate(patterns))
    )
    with vault.session() as s:
        return fan_out(db_session=s, endpoints=endpoints_of(settings), at=vault.records.clock.now())


class TestEnqueue:
    """A request's steps become events in the step's own transaction."""

    def test_each_step_is_an_event(self, opened: Vault) -> None:
        """verified, in progress, then erasure.completed; ids and states only."""
        request_id = erase_request(opened)
        found = events(opened)
        assert [e.type for e in found] == [
            "request.identity_verified",
            "request.in_progress",
            "erasure.completed",
        ]
        assert json.loads(found[-1].data) == {
            "request_id": request_id,
            "request_type": "erasure",
            "state": "completed",
            "subject_id": "C-1001",
        }
        assert all(e.dispatched_at is None for e in found)

    def test_denial_is_an_event(self, opened: Vault) -> None:
        """request.denied, and the reason (free text) is not in it."""
        now = opened.records.clock.now()
        with opened.session() as s:
            request = open_request(
                db_session=s,
                audit=opened.audit,
                subject_id="C-9",
                request_type="access",
                regime="gdpr",
                at=now,
                actor=ACTOR,
            ).request
            deny(
                db_session=s,
                audit=opened.audit,
                request_id=request.id,
                reason="Not a customer of this shop",
                at=now,
                actor=ACTOR,
            )
        (event,) = events(opened)
        assert event.type == "request.denied"
        assert "customer of" not in event.data

    def test_rolled_back_step_leaves_no_event(self, opened: Vault) -> None:
        """The outbox is transactional: a step that rolls back sends nothing."""

        def crash() -> None:
            with opened.session() as s:
                now = opened.records.clock.now()
                request = open_request(
                    db_session=s,
                    audit=opened.audit,
                    subject_id="C-1",
                    request_type="access",
                    regime="gdpr",
                    at=now,
                    actor=ACTOR,
                ).request
                deny(
                    db_session=s,
                    audit=opened.audit,
                    request_id=request.id,
                    reason="Duplicate of another request",
                    at=now,
                    actor=ACTOR,
                )
                raise RuntimeError("crash before commit")

        with pytest.raises(RuntimeError):
            crash()
        assert events(opened) == []


class TestFanOut:
    """Events become one delivery per subscribed endpoint, once."""

    def test_only_subscribed_endpoints_get_deliveries(self, opened: Vault) -> None:
        """3 events: ep0 (*) gets 3, ep1 (erasure.*) 1, ep2 (request.denied) 0."""
        erase_request(opened)
        assert fanned(opened, ["*"], ["erasure.*"], ["request.denied"]) == 4
        with opened.session() as s:
            rows = list_deliveries(db_session=s)
        assert sorted(d.endpoint for d, _ in rows) == ["ep0", "ep0", "ep0", "ep1"]
        assert {d.state for d, _ in rows} == {"pending"}
        assert all(e.dispatched_at is not None for e in events(opened))

    def test_fan_out_happens_once(self, opened: Vault) -> None:
        """A second worker finds nothing new to fan out."""
        erase_request(opened)
        assert fanned(opened, ["*"]) == 3
        assert fanned(opened, ["*"]) == 0

    def test_without_endpoints_events_are_marked_and_kept(self, opened: Vault) -> None:
        """No endpoint: events are dispatched to nobody (they do not pile up for later ones)."""
        erase_request(opened)
        assert fanned(opened) == 0
        assert fanned(opened, ["*"]) == 0


def _one_delivery(vault: Vault) -> None:
    erase_request(vault, finish=False)
    fanned(vault, ["request.in_progress"])


class TestClaims:
    """A delivery is owned by one worker at a time; its lease expires if the worker dies."""

    def test_second_claim_gets_nothing(self, opened: Vault) -> None:
        """Two workers at the same moment: only one owns the delivery."""
        _one_delivery(opened)
        now = opened.records.clock.now()
        with opened.session() as s:
            first = claim_due(db_session=s, at=now, lease=LEASE)
        with opened.session() as s:
            second = claim_due(db_session=s, at=now, lease=LEASE)
        assert (len(first), second) == (1, [])
        assert first[0].attempts == 1

    def test_expired_lease_is_claimed_again(self, opened: Vault, clock: FrozenClock) -> None:
        """A worker that died mid-send loses its lease; the next claim counts attempt 2."""
        _one_delivery(opened)
        with opened.session() as s:
            (lost,) = claim_due(db_session=s, at=clock.now(), lease=LEASE)
        clock.advance(61)
        with opened.session() as s:
            (again,) = claim_due(db_session=s, at=clock.now(), lease=LEASE)
        assert again.attempts == 2
        with opened.session() as s:
            late = record_answer(
                db_session=s,
                claimed=lost,
                answer=Answer(200),
                at=clock.now(),
                settings=webhook_settings(),
                jitter=0.0,
            )
        assert late is None  # the dead worker's late answer does not overwrite the new claim

    def test_attempts_lost_lease_after_lease_end_dead(
        self, opened: Vault, clock: FrozenClock
    ) -> None:
        """Workers dying mid-send every time: past max_attempts the delivery is dead."""
        _one_delivery(opened)
        for _ in range(2):
            with opened.session() as s:
                assert (
                    len(claim_due(db_session=s, at=clock.now(), lease=LEASE, max_attempts=2)) == 1
                )
            clock.advance(61)
        with opened.session() as s:
            assert claim_due(db_session=s, at=clock.now(), lease=LEASE, max_attempts=2) == []
            ((delivery, _),) = list_deliveries(db_session=s)
        assert (delivery.state, delivery.attempts) == ("dead", 2)
        assert delivery.last_error == "attempt lost (lease expired)"

    def test_failure_waits_for_its_backoff(self, opened: Vault, clock: FrozenClock) -> None:
        """Failed: not due until base * 2^(n-1) later; then claimable again."""
        _one_delivery(opened)
        settings = webhook_settings()
        with opened.session() as s:
            (item,) = claim_due(db_session=s, at=clock.now(), lease=LEASE)
            state = record_answer(
                db_session=s,
                claimed=item,
                answer=Answer(503),
                at=clock.now(),
                settings=settings,
                jitter=0.0,
            )
        assert state is DeliveryState.FAILED
        clock.advance(9)
        with opened.session() as s:
            assert claim_due(db_session=s, at=clock.now(), lease=LEASE) == []
        clock.advance(1)
        with opened.session() as s:
            assert len(claim_due(db_session=s, at=clock.now(), lease=LEASE)) == 1

    def test_dead_after_max_attempts(self, opened: Vault, clock: FrozenClock) -> None:
        """The third failure (max_attempts 3) makes it dead: never claimed again by itself."""
        _one_delivery(opened)
        settings = webhook_settings()
        states = []
        for _ in range(3):
            with opened.session() as s:
                (item,) = claim_due(db_session=s, at=clock.now(), lease=LEASE)
                states.append(
                    record_answer(
                        db_session=s,
                        claimed=item,
                        answer=Answer(500),
                        at=clock.now(),
                        settings=settings,
                        jitter=0.0,
                    )
                )
            clock.advance(3600)
        assert states == [DeliveryState.FAILED, DeliveryState.FAILED, DeliveryState.DEAD]
        with opened.session() as s:
            assert claim_due(db_session=s, at=clock.now() + timedelta(days=365), lease=LEASE) == []
            ((delivery, _),) = list_deliveries(db_session=s, state="dead")
        assert (delivery.attempts, delivery.last_status, delivery.last_error) == (
            3,
            500,
            "HTTP 500",
        )

    def test_endpoint_removed_from_settings_is_dead(self, opened: Vault) -> None:
        """A delivery whose endpoint is no longer configured is dead at once."""
        _one_delivery(opened)
        now = opened.records.clock.now()
        with opened.session() as s:
            (item,) = claim_due(db_session=s, at=now, lease=LEASE)
            state = record_answer(
                db_session=s,
                claimed=item,
                answer=None,
                at=now,
                settings=webhook_settings(),
                jitter=0.5,
            )
            ((delivery, _),) = list_deliveries(db_session=s)
        assert state is DeliveryState.DEAD
        assert delivery.last_error == "endpoint not configured"


class TestRetry:
    """An operator sends a dead delivery again."""

    def test_dead_delivery_is_pending_again(self, opened: Vault, clock: FrozenClock) -> None:
        """State pending, attempts reset, due now."""
        _one_delivery(opened)
        with opened.session() as s:
            (item,) = claim_due(db_session=s, at=clock.now(), lease=LEASE)
            record_answer(
                db_session=s,
                claimed=item,
                answer=None,
                at=clock.now(),
                settings=webhook_settings(),
                jitter=0.0,
            )
        clock.advance(5)
        with opened.session() as s:
            delivery = retry(
                db_session=s,
                audit=opened.audit,
                delivery_id=item.delivery_id,
                at=clock.now(),
                actor=ACTOR,
            )
            assert (delivery.state, delivery.attempts) == ("pending", 0)
        with opened.session() as s:
            assert len(claim_due(db_session=s, at=clock.now(), lease=LEASE)) == 1

    def test_delivered_and_unknown_are_refused(self, opened: Vault) -> None:
        """A delivered one is not sent twice; an unknown id is NotFound."""
        _one_delivery(opened)
        now = opened.records.clock.now()
        with opened.session() as s:
            (item,) = claim_due(db_session=s, at=now, lease=LEASE)
            record_answer(
                db_session=s,
                claimed=item,
                answer=Answer(204),
                at=now,
                settings=webhook_settings(),
                jitter=0.0,
            )
        with opened.session() as s, pytest.raises(Conflict):
            retry(
                db_session=s, audit=opened.audit, delivery_id=item.delivery_id, at=now, actor=ACTOR
            )
        with opened.session() as s, pytest.raises(NotFound):
            retry(db_session=s, audit=opened.audit, delivery_id="whd_nope", at=now, actor=ACTOR)

    def test_listing_checks_its_filters(self, opened: Vault) -> None:
        """An unknown state or a limit out of range is InvalidInput."""
        with opened.session() as s:
            with pytest.raises(InvalidInput):
                list_deliveries(db_session=s, state="lost")
            with pytest.raises(InvalidInput):
                list_deliveries(db_session=s, limit=0)


def test_rows_match_deliveries(opened: Vault) -> None:
    """Fan-out writes exactly the rows it reports (no duplicates under the unique key)."""
    for subject in ("C-1", "C-2"):
        erase_request(opened, subject)
    made = fanned(opened, ["*"], ["*.completed"])
    with opened.session() as s:
        count = s.scalar(select(func.count()).select_from(WebhookDelivery))
    assert made == count == 8
