"""Deliveries over real HTTP to a local endpoint: signed, retried with backoff, dead-lettered."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.config import Settings
from privault.vault import Vault
from privault.webhooks import (
    Answer,
    DeliveryReport,
    DeliveryWorker,
    HttpSender,
    deliver_due,
    list_deliveries,
    verify_signature,
)

from .conftest import SECRET, FrozenClock, endpoint, erase_request, webhook_settings
from .receiver import receiver


@pytest.fixture
def sender() -> Iterator[HttpSender]:
    """The real httpx sender."""
    made = HttpSender(timeout_s=5)
    yield made
    made.close()


def states(vault: Vault) -> list[tuple[str, int, int | None, str | None]]:
    """(state, attempts, last status, last error) of each delivery, oldest first."""
    with vault.session() as s:
        rows = list_deliveries(db_session=s)
    return [(d.state, d.attempts, d.last_status, d.last_error) for d, _ in reversed(rows)]


class TestDelivery:
    """What the endpoint receives."""

    def test_endpoint_receives_signed_events(
        self, opened: Vault, sender: HttpSender, clock: FrozenClock
    ) -> None:
        """Each event once, signed over t and the raw body; ids and states, no values."""
        request_id = erase_request(opened)
        with receiver() as endpoint_:
            settings = webhook_settings(endpoint(endpoint_.url, events=["erasure.*"]))
            report = deliver_due(
                sessions=opened.session, settings=settings, sender=sender, clock=clock
            )
            (got,) = endpoint_.received
        assert (report.fanned_out, report.delivered) == (1, 1)
        headers = {k.lower(): v for k, v in got.headers.items()}
        now = clock.now().timestamp()
        assert verify_signature(SECRET, headers["privault-signature"], got.body, now=now)
        assert not verify_signature(SECRET, headers["privault-signature"], got.body + b" ", now=now)
        document = json.loads(got.body)
        assert headers["privault-event-id"] == document["id"]
        assert headers["content-type"] == "application/json"
        assert document["type"] == "erasure.completed"
        assert document["data"] == {
            "request_id": request_id,
            "request_type": "erasure",
            "state": "completed",
            "subject_id": "C-1001",
        }
        assert states(opened) == [("delivered", 1, 200, None)]

    def test_fails_first_then_succeeds(
        self, opened: Vault, sender: HttpSender, clock: FrozenClock
    ) -> None:
        """500, then 503 after the backoff, then 200: delivered at the third attempt."""
        erase_request(opened, finish=False)
        with receiver([500, 503, 200]) as endpoint_:
            settings = webhook_settings(endpoint(endpoint_.url, events=["request.in_progress"]))

            def run() -> DeliveryReport:
                return deliver_due(
                    sessions=opened.session, settings=settings, sender=sender, clock=clock
                )

            assert run().failed == 1
            assert states(opened) == [("failed", 1, 500, "HTTP 500")]
            assert run().failed == 0  # not due yet: nothing is sent
            clock.advance(10)
            assert run().failed == 1
            clock.advance(20)
            assert run().delivered == 1
            bodies = {r.body for r in endpoint_.received}
        assert states(opened) == [("delivered", 3, 200, None)]
        assert len(endpoint_.received) == 3
        assert len(bodies) == 1  # the same event each time

    def test_dead_letter_after_max_attempts(
        self, opened: Vault, sender: HttpSender, clock: FrozenClock
    ) -> None:
        """An endpoint that always fails gets max_attempts tries, then the delivery is dead."""
        erase_request(opened, finish=False)
        with receiver([500]) as endpoint_:
            settings = webhook_settings(endpoint(endpoint_.url, events=["request.in_progress"]))
            for _ in range(5):
                deliver_due(sessions=opened.session, settings=settings, sender=sender, clock=clock)
                clock.advance(3600)
            tries = len(endpoint_.received)
        assert tries == 3
        ((state, attempts, status, error),) = states(opened)
        assert (state, attempts, status, error) == ("dead", 3, 500, "HTTP 500")
        assert "secret-body-text" not in str(states(opened))  # the answer's body is not kept

    def test_unreachable_endpoint_is_a_failure(
        self, opened: Vault, sender: HttpSender, clock: FrozenClock
    ) -> None:
        """Nothing listening: the error's kind is kept (no URL, no message)."""
        erase_request(opened, finish=False)
        with receiver() as endpoint_:
            url = endpoint_.url
        settings = webhook_settings(endpoint(url, events=["request.in_progress"]))
        deliver_due(sessions=opened.session, settings=settings, sender=sender, clock=clock)
        assert states(opened) == [("failed", 1, None, "ConnectError")]

    def test_redirects_are_not_followed(
        self, opened: Vault, sender: HttpSender, clock: FrozenClock
    ) -> None:
        """A 3xx is a failure: events go to configured URLs only."""
        erase_request(opened, finish=False)
        with receiver([302]) as endpoint_:
            settings = webhook_settings(endpoint(endpoint_.url, events=["request.in_progress"]))
            deliver_due(sessions=opened.session, settings=settings, sender=sender, clock=clock)
        assert states(opened) == [("failed", 1, 302, "HTTP 302")]


def test_concurrent_workers_send_each_event_once(
    opened: Vault, sender: HttpSender, clock: FrozenClock
) -> None:
    """Four workers racing over the same queue: every event arrives exactly once."""
    for number in range(6):
        erase_request(opened, f"C-{number}")
    with receiver() as endpoint_:
        settings = webhook_settings(endpoint(endpoint_.url))
        errors: list[BaseException] = []

        def work() -> None:
            try:
                deliver_due(sessions=opened.session, settings=settings, sender=sender, clock=clock)
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        ids = [json.loads(r.body)["id"] for r in endpoint_.received]
    assert errors == []
    assert len(ids) == len(set(ids)) == 18
    assert {s for s, *_ in states(opened)} == {"delivered"}


def test_server_delivers_in_the_background(settings: Settings, clock: FrozenClock) -> None:
    """The app's lifespan runs the loop: a request step reaches the endpoint unprompted."""
    with receiver() as endpoint_:
        configured = settings.model_copy(
            update={"webhooks": webhook_settings(endpoint(endpoint_.url), poll_interval_s=0.05)}
        )
        with Vault.open(configured, clock=clock) as vault:
            app = create_app(configured, vault=vault)
            with TestClient(app):
                erase_request(vault, finish=False)
                deadline = time.monotonic() + 10
                while len(endpoint_.received) < 2 and time.monotonic() < deadline:
                    time.sleep(0.02)
            got = sorted(json.loads(r.body)["type"] for r in endpoint_.received)
    assert got == ["request.identity_verified", "request.in_progress"]


def test_worker_refuses_an_endpoint_without_secret(opened: Vault, clock: FrozenClock) -> None:
    """A missing secret fails at start-up, not at every round."""
    from privault.config import WebhookEndpoint
    from privault.errors import InvalidInput

    settings = webhook_settings(WebhookEndpoint(name="crm", url="http://127.0.0.1:9/x"))
    with pytest.raises(InvalidInput):
        DeliveryWorker(sessions=opened.session, settings=settings, clock=clock)


def test_background_round_can_be_run_by_hand(opened: Vault, clock: FrozenClock) -> None:
    """run_once delivers and then runs the extra tasks, in that order."""
    erase_request(opened, finish=False)
    ran: list[str] = []
    with receiver() as endpoint_:
        worker = DeliveryWorker(
            sessions=opened.session,
            settings=webhook_settings(endpoint(endpoint_.url)),
            clock=clock,
            tasks=[lambda: ran.append("task")],
        )
        report = worker.run_once()
        worker.stop()
    assert (report.delivered, ran) == (2, ["task"])


def test_idle_round_only_reads(opened: Vault, sender: HttpSender, clock: FrozenClock) -> None:
    """With a read session to look first, an empty queue costs no write; work still flows."""
    with receiver() as endpoint_:
        settings = webhook_settings(endpoint(endpoint_.url))

        def run() -> DeliveryReport:
            return deliver_due(
                sessions=opened.session,
                settings=settings,
                sender=sender,
                clock=clock,
                read_sessions=opened.database.read_session,
            )

        assert run() == DeliveryReport()
        erase_request(opened, finish=False)
        assert run().delivered == 2
        assert run() == DeliveryReport()
        assert len(endpoint_.received) == 2


class BrokenSender:
    """A sender with a bug: it raises instead of answering."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """Fail loudly."""
        raise RuntimeError(f"bug while sending {body!r}")


def test_sender_bug_is_a_failed_attempt(opened: Vault, clock: FrozenClock) -> None:
    """An exception from the sender fails the attempt (kind kept, message not); no stuck lease."""
    erase_request(opened, finish=False)
    settings = webhook_settings(endpoint("http://127.0.0.1:9/x", events=["request.in_progress"]))
    report = deliver_due(
        sessions=opened.session, settings=settings, sender=BrokenSender(), clock=clock
    )
    assert report.failed == 1
    assert states(opened) == [("failed", 1, None, "RuntimeError")]
