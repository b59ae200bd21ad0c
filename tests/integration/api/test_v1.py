"""The v1 HTTP API so far: API-key authentication, consent, the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.vault import Vault


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(settings) as vault:
        yield vault


def make_key(vault: Vault, role: str) -> str:
    """A new API key for ``role``."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=vault.records.clock.now(),
        )
    return created.key


@pytest.fixture
def client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app."""
    with TestClient(create_app(settings, vault=opened)) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


class TestAuthentication:
    """Callers authenticate with an API key."""

    @pytest.mark.parametrize("header", [None, "Bearer ", "Bearer pvk_nope", "Basic abc"])
    def test_missing_or_bad_key_is_401_and_audited(
        self, client: TestClient, opened: Vault, header: str | None
    ) -> None:
        """No key or a bad key answers 401 problem+json; the refusal is in the audit log."""
        headers = {"Authorization": header} if header else {}
        response = client.post("/v1/subjects/CANARY-ID-9/consents/marketing", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        with opened.session() as db_session:
            row = db_session.execute(
                text("SELECT * FROM audit_events WHERE operation = 'auth.api_key'")
            ).one()
        assert row.outcome == "denied"
        assert "CANARY-ID-9" not in repr(tuple(row))  # the route template, not the path
        assert "{subject_id}" in row.detail

    def test_rate_limit_answers_429(self, settings: Settings, opened: Vault) -> None:
        """A key over its rate gets 429 with Retry-After."""
        tight = settings.model_copy(
            update={
                "server": settings.server.model_copy(update={"rate_per_s": 0.01, "rate_burst": 1})
            }
        )
        key = make_key(opened, "service")
        with TestClient(create_app(tight, vault=opened)) as client:
            assert (
                client.post("/v1/subjects/C1/consents/marketing", headers=bearer(key)).status_code
                == 200
            )
            limited = client.post("/v1/subjects/C1/consents/marketing", headers=bearer(key))
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


class TestConsent:
    """POST/DELETE /v1/subjects/{id}/consents/{purpose}."""

    def test_grant_withdraw_read(self, client: TestClient, opened: Vault) -> None:
        """The backend records a grant, then a withdrawal; each is audited."""
        key = make_key(opened, "service")
        granted = client.post(
            "/v1/subjects/C-1001/consents/marketing",
            headers=bearer(key),
            json={"source": "web", "notice_version": "2026-11"},
        )
        assert granted.status_code == 200
        assert granted.json()["granted"] is True
        assert granted.json()["notice_version"] == "2026-11"
        withdrawn = client.delete("/v1/subjects/C-1001/consents/marketing", headers=bearer(key))
        assert withdrawn.json()["granted"] is False
        current = client.get("/v1/subjects/C-1001/consents/marketing", headers=bearer(key))
        assert current.json()["granted"] is False
        with opened.session() as db_session:
            operations = (
                db_session.execute(text("SELECT operation FROM audit_events ORDER BY leaf_index"))
                .scalars()
                .all()
            )
        assert operations == ["consent.grant", "consent.withdraw"]

    def test_unknown_purpose_is_422(self, client: TestClient, opened: Vault) -> None:
        """A purpose the data map does not declare is refused."""
        key = make_key(opened, "service")
        response = client.post("/v1/subjects/C1/consents/telepathy", headers=bearer(key))
        assert response.status_code == 422

    def test_role_without_write_is_403(self, client: TestClient, opened: Vault) -> None:
        """A support agent's key may not record consent."""
        key = make_key(opened, "support_agent")
        response = client.post("/v1/subjects/C1/consents/marketing", headers=bearer(key))
        assert response.status_code == 403


class TestAuditApi:
    """GET /v1/audit/... for the auditor role."""

    def test_auditor_reads_events_and_proofs(self, client: TestClient, opened: Vault) -> None:
        """The auditor lists events (filtered by customer id), proves one, reads the checkpoint."""
        opened.put("customers", "C7", {"email": "c7@example.com"})
        opened.put("customers", "C8", {"email": "c8@example.com"})
        opened.audit.checkpoint(sessions=opened.database.session)
        key = make_key(opened, "auditor")
        page = client.get("/v1/audit/events", params={"customer_id": "C7"}, headers=bearer(key))
        assert page.status_code == 200
        events = page.json()["events"]
        assert [e["operation"] for e in events] == ["record.write"]
        assert "C7" not in page.text
        proof = client.get(f"/v1/audit/events/{events[0]['id']}/proof", headers=bearer(key))
        assert proof.json()["tree_size"] == 2
        latest = client.get("/v1/audit/checkpoints/latest", headers=bearer(key))
        assert latest.json()["tree_size"] == 2

    def test_other_roles_are_403(self, client: TestClient, opened: Vault) -> None:
        """Only the auditor role reads the log."""
        key = make_key(opened, "service")
        assert client.get("/v1/audit/events", headers=bearer(key)).status_code == 403


def test_audit_filters_out_of_range_are_422(client: TestClient, opened: Vault) -> None:
    """A time that overflows in UTC or a cursor past any index is refused, not a 500."""
    key = make_key(opened, "auditor")
    for params in (
        {"since": "9999-12-31T23:59:00-23:00"},
        {"until": "0001-01-01T00:00:00+23:00"},
        {"after": str(2**64)},
    ):
        response = client.get("/v1/audit/events", params=params, headers=bearer(key))
        assert response.status_code == 422, params
