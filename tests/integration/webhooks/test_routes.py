"""``/v1/webhooks/deliveries``: delivery state and retries over HTTP, for request handlers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.audit.models import AuditEvent
from privault.config import Settings
from privault.vault import Vault
from privault.webhooks import Answer, claim_due, endpoints_of, fan_out, record_answer

from .conftest import T0, endpoint, erase_request, webhook_settings


def key(vault: Vault, role: str) -> dict[str, str]:
    """Authorization headers of a new key for ``role``."""
    with vault.session() as s:
        created = create_api_key(
            db_session=s,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=T0,
        )
    return {"Authorization": f"Bearer {created.key}"}


@pytest.fixture
def client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app (no background loop: the test drives deliveries)."""
    quiet = settings.model_copy(update={"webhooks": webhook_settings(deliver_in_server=False)})
    with TestClient(create_app(quiet, vault=opened)) as test_client:
        yield test_client


def dead_and_delivered(vault: Vault) -> tuple[str, str]:
    """Two deliveries of one request: one dead (two endpoints' worth), one delivered; ids."""
    erase_request(vault, finish=False)
    settings = webhook_settings(endpoint("http://127.0.0.1:9/x", events=["request.*"]))
    now = vault.records.clock.now()
    with vault.session() as s:
        fan_out(db_session=s, endpoints=endpoints_of(settings), at=now)
        first, second = claim_due(db_session=s, at=now, lease=timedelta(seconds=60))
        record_answer(
            db_session=s, claimed=first, answer=None, at=now, settings=settings, jitter=0.0
        )
        record_answer(
            db_session=s, claimed=second, answer=Answer(200), at=now, settings=settings, jitter=0.0
        )
    return first.delivery_id, second.delivery_id


def test_handler_lists_and_retries(client: TestClient, opened: Vault) -> None:
    """The dpo sees state per delivery and retries the dead one (audited)."""
    dead, delivered = dead_and_delivered(opened)
    dpo = key(opened, "dpo")
    listed = client.get("/v1/webhooks/deliveries", headers=dpo)
    assert listed.status_code == 200
    by_id = {item["id"]: item for item in listed.json()}
    assert by_id[dead]["state"] == "dead"
    assert by_id[dead]["last_error"] == "endpoint not configured"
    assert (by_id[delivered]["state"], by_id[delivered]["last_status"]) == ("delivered", 200)
    only_dead = client.get("/v1/webhooks/deliveries", params={"state": "dead"}, headers=dpo)
    assert [item["id"] for item in only_dead.json()] == [dead]
    retried = client.post(f"/v1/webhooks/deliveries/{dead}/retry", headers=dpo)
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    with opened.session() as s:
        operations = list(s.scalars(select(AuditEvent.operation)))
    assert "webhooks.retry" in operations


def test_refusals(client: TestClient, opened: Vault) -> None:
    """Not a handler: 403; delivered: 409; unknown: 404; malformed id or state: 422."""
    dead, delivered = dead_and_delivered(opened)
    dpo = key(opened, "dpo")
    assert client.get("/v1/webhooks/deliveries", headers=key(opened, "service")).status_code == 403
    assert client.post(f"/v1/webhooks/deliveries/{delivered}/retry", headers=dpo).status_code == 409
    unknown = "whd_" + "0" * 32
    assert client.post(f"/v1/webhooks/deliveries/{unknown}/retry", headers=dpo).status_code == 404
    assert client.post("/v1/webhooks/deliveries/nope/retry", headers=dpo).status_code == 422
    bad_state = client.get("/v1/webhooks/deliveries", params={"state": "lost"}, headers=dpo)
    assert bad_state.status_code == 422
    assert client.get("/v1/webhooks/deliveries").status_code == 401
    assert dead
