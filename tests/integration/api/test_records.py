"""Records, tokens and search over HTTP, on SQLite and PostgreSQL, with the policy applied."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.common.checksums import luhn_valid
from privault.config import Settings
from privault.consent import restrict_processing
from privault.vault import Vault

CANARY = "zebulon.canary.5e1d@leak-test.example"
CUSTOMER = {
    "email": CANARY,
    "name": "Ada Lovelace",
    "phone": "+44 20 7946 0958",
    "address": "12 High St, London, UK",
    "birth_date": "1990-05-17",
    "card": "4111 1111 1111 1111",
}


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(settings) as vault:
        yield vault


@pytest.fixture
def client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app."""
    with TestClient(create_app(settings, vault=opened)) as test_client:
        yield test_client


def key_for(vault: Vault, role: str, purposes: list[str] | None = None) -> dict[str, str]:
    """Authorization header of a new key for ``role``."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            purposes=purposes,
            at=vault.records.clock.now(),
        )
    return {"Authorization": f"Bearer {created.key}"}


def store(client: TestClient, headers: dict[str, str], subject: str = "C-1") -> dict[str, object]:
    """Store the canary customer; return the answer."""
    response = client.post(
        "/v1/collections/customers/records",
        headers=headers,
        json={"subject_id": subject, "values": CUSTOMER},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def read(
    client: TestClient, headers: dict[str, str], record_id: object, purpose: str, **params: str
) -> httpx2.Response:
    """GET a record with a purpose."""
    return client.get(
        f"/v1/collections/customers/records/{record_id}",
        headers={**headers, "X-Privault-Purpose": purpose},
        params=params,
    )


class TestStore:
    """POST records: one or a batch, idempotent on request."""

    def test_store_answers_ids_and_tokens(self, client: TestClient, opened: Vault) -> None:
        """201 with a record id and a token per field; the card token keeps BIN and last 4."""
        body = store(client, key_for(opened, "service"))
        tokens = body["tokens"]
        assert isinstance(tokens, dict)
        assert set(tokens) == set(CUSTOMER)
        assert tokens["card"][:6] == "411111"
        assert not luhn_valid(tokens["card"])
        assert CANARY not in str(body)

    def test_batch_answers_item_by_item(self, client: TestClient, opened: Vault) -> None:
        """Good items land, bad ones get their own error; nothing of a bad item is stored."""
        response = client.post(
            "/v1/collections/customers/records",
            headers=key_for(opened, "service"),
            json={
                "records": [
                    {"subject_id": "C-1", "values": {"email": "a@example.com"}},
                    {"subject_id": "C-2", "values": {"email": "not-an-email"}},
                    {"subject_id": "C-3", "values": {"emial": "c@example.com"}},
                    {"subject_id": "C-1", "region": "us", "values": {"email": "b@example.com"}},
                ]
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["stored"], body["failed"]) == (1, 3)
        assert [r["status"] for r in body["results"]] == [201, 422, 422, 422]
        assert [r["error"]["code"] for r in body["results"][1:]] == [
            "invalid_value",
            "unknown_field",
            "region_mismatch",
        ]
        assert "not-an-email" not in response.text
        with opened.session() as db_session:
            assert db_session.execute(text("SELECT count(*) FROM records")).scalar() == 1

    def test_idempotency_key_replays_and_refuses_reuse(
        self, client: TestClient, opened: Vault
    ) -> None:
        """A retry gets the first answer and stores nothing; another body under the key is 409."""
        headers = {**key_for(opened, "service"), "Idempotency-Key": "order-1-customer"}
        payload = {"subject_id": "C-1", "values": {"email": "a@example.com"}}
        first = client.post("/v1/collections/customers/records", headers=headers, json=payload)
        again = client.post("/v1/collections/customers/records", headers=headers, json=payload)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        other = client.post(
            "/v1/collections/customers/records",
            headers=headers,
            json={**payload, "subject_id": "C-2"},
        )
        assert other.status_code == 409
        assert other.json()["code"] == "idempotency_key_reused"
        with opened.session() as db_session:
            assert db_session.execute(text("SELECT count(*) FROM records")).scalar() == 1

    def test_keys_are_per_api_key_and_malformed_ones_refused(
        self, client: TestClient, opened: Vault
    ) -> None:
        """The same Idempotency-Key under two API keys is two requests; a bad one is 422."""
        payload = {"subject_id": "C-1", "values": {"email": "a@example.com"}}
        for _ in range(2):
            headers = {**key_for(opened, "service"), "Idempotency-Key": "k1"}
            response = client.post(
                "/v1/collections/customers/records", headers=headers, json=payload
            )
            assert response.status_code == 201
        bad = {**key_for(opened, "service"), "Idempotency-Key": "has space"}
        response = client.post("/v1/collections/customers/records", headers=bad, json=payload)
        assert response.status_code == 422

    def test_role_without_write_is_403_and_audited(self, client: TestClient, opened: Vault) -> None:
        """A support agent may not store; the refusal is logged without values."""
        response = client.post(
            "/v1/collections/customers/records",
            headers=key_for(opened, "support_agent"),
            json={"subject_id": "C-1", "values": {"email": CANARY}},
        )
        assert response.status_code == 403
        assert response.json()["code"] == "write_not_granted"
        with opened.session() as db_session:
            rows = db_session.execute(text("SELECT * FROM audit_events")).all()
        assert [(r.operation, r.outcome) for r in rows] == [("record.write", "denied")]
        assert CANARY not in repr(rows)

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"subject_id": "C-1"},
            {"subject_id": "", "values": {"email": "a@example.com"}},
            {"subject_id": "C-1", "values": {}},
            {"subject_id": "C-1", "values": {"email": ["a"]}},
            {"records": []},
            {"subject_id": "C-1", "values": {"email": "a@example.com"}, "extra": 1},
        ],
    )
    def test_malformed_bodies_are_422(
        self, client: TestClient, opened: Vault, payload: dict[str, object]
    ) -> None:
        """Malformed input is 422 problem+json and stores nothing."""
        response = client.post(
            "/v1/collections/customers/records", headers=key_for(opened, "service"), json=payload
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestRead:
    """GET a record: purpose declared, each field in its granted view."""

    def test_support_agent_sees_masked_views(self, client: TestClient, opened: Vault) -> None:
        """Views as the starter map grants; denied fields are withheld by name only."""
        record = store(client, key_for(opened, "service"))
        response = read(client, key_for(opened, "support_agent"), record["id"], "customer_support")
        assert response.status_code == 200
        body = response.json()
        assert body["fields"] == {
            "email": "z***@leak-test.example",
            "name": "Ada Lovelace",
            "phone": "********0958",
            "address": "London, UK",
        }
        assert body["views"]["email"] == "email_mask"
        assert sorted(body["withheld"]) == ["birth_date", "card"]
        assert response.headers["cache-control"] == "no-store"
        assert CANARY not in response.text

    def test_service_role_reads_tokens(self, client: TestClient, opened: Vault) -> None:
        """The backend's role sees the tokens it was given, never the values."""
        record = store(client, key_for(opened, "service"))
        response = read(client, key_for(opened, "service"), record["id"], "order_fulfillment")
        tokens = record["tokens"]
        assert isinstance(tokens, dict)
        fields = response.json()["fields"]
        assert fields == {name: tokens[name] for name in fields}
        assert set(fields) == {"email", "name", "phone", "address", "card"}

    @pytest.mark.parametrize(
        ("purpose", "code"),
        [
            (None, "purpose_required"),
            ("telepathy", "unknown_purpose"),
            ("marketing", "purpose_not_granted"),
        ],
    )
    def test_purpose_refusals_are_403(
        self, client: TestClient, opened: Vault, purpose: str | None, code: str
    ) -> None:
        """No purpose, an unknown one or one the role lacks: 403 with the reason code."""
        record = store(client, key_for(opened, "service"))
        headers = key_for(opened, "support_agent")
        if purpose is not None:
            headers["X-Privault-Purpose"] = purpose
        response = client.get(f"/v1/collections/customers/records/{record['id']}", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == code

    def test_asking_for_a_denied_field_is_403(self, client: TestClient, opened: Vault) -> None:
        """Naming a field the role may not see refuses the read."""
        record = store(client, key_for(opened, "service"))
        agent = key_for(opened, "support_agent")
        response = read(client, agent, record["id"], "customer_support", fields="email,card")
        assert response.status_code == 403
        assert response.json()["code"] == "field_not_granted"
        assert response.json()["detail"].endswith(": card")
        ok = read(client, agent, record["id"], "customer_support", fields="email")
        assert list(ok.json()["fields"]) == ["email"]

    def test_unknown_and_deleted_records_are_404(self, client: TestClient, opened: Vault) -> None:
        """After DELETE nothing is readable: the record, its tokens, its search entries."""
        service = key_for(opened, "service")
        record = store(client, service)
        dpo = key_for(opened, "dpo")
        assert read(client, dpo, record["id"], "privacy_requests").status_code == 200
        deleted = client.delete(
            f"/v1/collections/customers/records/{record['id']}", headers=service
        )
        assert deleted.status_code == 204
        assert read(client, dpo, record["id"], "privacy_requests").status_code == 404
        tokens = record["tokens"]
        assert isinstance(tokens, dict)
        answer = client.post(
            "/v1/detokenize",
            headers={**dpo, "X-Privault-Purpose": "privacy_requests"},
            json={"tokens": list(tokens.values())},
        )
        assert {r["error"] for r in answer.json()["results"]} == {"not_found"}
        found = client.post(
            "/v1/collections/customers/search",
            headers={**dpo, "X-Privault-Purpose": "privacy_requests"},
            json={"field": "email", "value": CANARY},
        )
        assert found.json() == {"matches": []}
        again = client.delete(f"/v1/collections/customers/records/{record['id']}", headers=service)
        assert again.status_code == 404

    def test_consent_withdrawal_takes_effect_on_the_next_request(
        self, client: TestClient, opened: Vault
    ) -> None:
        """Marketing reads only customers who consent, from the next request on."""
        service = key_for(opened, "service")
        record = store(client, service)
        marketing = key_for(opened, "marketing")
        refused = read(client, marketing, record["id"], "marketing")
        assert refused.status_code == 403
        assert refused.json()["code"] == "consent_missing"
        client.post("/v1/subjects/C-1/consents/marketing", headers=service)
        allowed = read(client, marketing, record["id"], "marketing")
        assert allowed.status_code == 200
        assert allowed.json()["fields"]["name"] == "A. L."
        client.delete("/v1/subjects/C-1/consents/marketing", headers=service)
        assert read(client, marketing, record["id"], "marketing").status_code == 403

    def test_restricted_customer_is_readable_by_nobody(
        self, client: TestClient, opened: Vault
    ) -> None:
        """Restriction of processing refuses every role and purpose."""
        record = store(client, key_for(opened, "service"))
        with opened.session() as db_session:
            restrict_processing(
                db_session=db_session,
                subject_id="C-1",
                reason="accuracy contested",
                at=opened.records.clock.now(),
            )
        for role, purpose in [("dpo", "privacy_requests"), ("support_agent", "customer_support")]:
            response = read(client, key_for(opened, role), record["id"], purpose)
            assert response.status_code == 403
            assert response.json()["code"] == "processing_restricted"

    def test_reads_are_audited_with_field_names_only(
        self, client: TestClient, opened: Vault
    ) -> None:
        """The read event names purpose and fields returned, never values."""
        record = store(client, key_for(opened, "service"))
        read(client, key_for(opened, "support_agent"), record["id"], "customer_support")
        with opened.session() as db_session:
            row = db_session.execute(
                text("SELECT * FROM audit_events WHERE operation = 'record.read'")
            ).one()
        assert row.purpose == "customer_support"
        assert row.fields_returned == '["address","email","name","phone"]'
        assert row.subject is not None
        assert "C-1" not in repr(tuple(row))
        assert CANARY not in repr(tuple(row))


class TestPatch:
    """PATCH a record."""

    def test_patch_changes_tokens_and_versions(self, client: TestClient, opened: Vault) -> None:
        """A new card gets a new token; a stale expected_version is 409."""
        service = key_for(opened, "service")
        record = store(client, service)
        url = f"/v1/collections/customers/records/{record['id']}"
        changed = client.patch(url, headers=service, json={"values": {"card": "5555555555554444"}})
        assert changed.status_code == 200
        body = changed.json()
        assert body["version"] == 2
        assert body["tokens"]["card"][:6] == "555555"
        stale = client.patch(
            url, headers=service, json={"values": {"name": "A. K."}, "expected_version": 1}
        )
        assert stale.status_code == 409
        assert stale.json()["code"] == "version_mismatch"
        removed = client.patch(url, headers=service, json={"values": {"phone": None}})
        assert "phone" not in removed.json()["tokens"]


class TestTokensAndSearch:
    """POST /v1/detokenize and /v1/collections/{c}/search."""

    def test_detokenize_in_granted_views(self, client: TestClient, opened: Vault) -> None:
        """Each token comes back in its field's view for the role; errors are per token."""
        record = store(client, key_for(opened, "service"))
        tokens = record["tokens"]
        assert isinstance(tokens, dict)
        analyst = {**key_for(opened, "fraud_analyst"), "X-Privault-Purpose": "fraud_prevention"}
        response = client.post(
            "/v1/detokenize",
            headers=analyst,
            json={"tokens": [tokens["card"], tokens["email"], tokens["name"], "tok_eu_nope"]},
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert results[0]["value"] == "411111******1111"
        assert results[0]["view"] == "bin_last4"
        assert results[1]["value"] == "z***@leak-test.example"
        assert results[2]["error"] == "field_not_granted"
        assert results[3]["error"] == "not_found"
        assert CANARY not in response.text

    def test_detokenize_plain_for_fulfillment(self, client: TestClient, opened: Vault) -> None:
        """A role with a plain view gets the value."""
        record = store(client, key_for(opened, "service"))
        tokens = record["tokens"]
        assert isinstance(tokens, dict)
        response = client.post(
            "/v1/detokenize",
            headers={**key_for(opened, "fulfillment"), "X-Privault-Purpose": "order_fulfillment"},
            json={"tokens": [tokens["name"], tokens["address"]]},
        )
        assert [r["value"] for r in response.json()["results"]] == [
            "Ada Lovelace",
            "12 High St, London, UK",
        ]

    def test_search_returns_ids_and_tokens(self, client: TestClient, opened: Vault) -> None:
        """Exact match on a normalised value; the answer never holds the value."""
        record = store(client, key_for(opened, "service"))
        agent = {**key_for(opened, "support_agent"), "X-Privault-Purpose": "customer_support"}
        response = client.post(
            "/v1/collections/customers/search",
            headers=agent,
            json={"field": "email", "value": CANARY.upper()},
        )
        assert response.status_code == 200
        tokens = record["tokens"]
        assert isinstance(tokens, dict)
        assert response.json() == {
            "matches": [{"record_id": record["id"], "subject_id": "C-1", "token": tokens["email"]}]
        }
        assert CANARY not in response.text.lower()

    @pytest.mark.parametrize(
        ("field", "status", "code"),
        [
            ("birth_date", 403, "field_not_granted"),
            ("address", 422, "field_not_searchable"),
            ("emial", 403, "field_not_granted"),
        ],
    )
    def test_search_refusals(
        self, client: TestClient, opened: Vault, field: str, status: int, code: str
    ) -> None:
        """A field not granted is 403; a granted field that is not searchable is 422."""
        store(client, key_for(opened, "service"))
        agent = {**key_for(opened, "support_agent"), "X-Privault-Purpose": "customer_support"}
        response = client.post(
            "/v1/collections/customers/search", headers=agent, json={"field": field, "value": "x"}
        )
        assert response.status_code == status
        assert response.json()["code"] == code

    def test_search_hides_customers_without_consent(
        self, client: TestClient, opened: Vault
    ) -> None:
        """A marketing search does not reveal customers who did not consent."""
        service = key_for(opened, "service")
        store(client, service)
        marketing = {**key_for(opened, "marketing"), "X-Privault-Purpose": "marketing"}
        query = {"field": "email", "value": CANARY}
        found = client.post("/v1/collections/customers/search", headers=marketing, json=query)
        assert found.json() == {"matches": []}
        client.post("/v1/subjects/C-1/consents/marketing", headers=service)
        found = client.post("/v1/collections/customers/search", headers=marketing, json=query)
        assert len(found.json()["matches"]) == 1


def test_canary_never_reaches_the_audit_log(client: TestClient, opened: Vault) -> None:
    """Every endpoint touches the canary customer; no value, customer id or token is logged."""
    service = key_for(opened, "service")
    dpo = {**key_for(opened, "dpo"), "X-Privault-Purpose": "privacy_requests"}
    subject = "CANARY-SUBJECT-77"
    record = store(client, service, subject=subject)
    tokens = record["tokens"]
    assert isinstance(tokens, dict)
    url = f"/v1/collections/customers/records/{record['id']}"
    assert client.get(url, headers=dpo).status_code == 200
    assert client.get(url, headers={**dpo, "X-Privault-Purpose": "marketing"}).status_code == 403
    patched = client.patch(url, headers=service, json={"values": {"name": "Canary Renamed"}})
    assert patched.status_code == 200
    detok = client.post("/v1/detokenize", headers=dpo, json={"tokens": list(tokens.values())})
    assert detok.status_code == 200
    found = client.post(
        "/v1/collections/customers/search", headers=dpo, json={"field": "email", "value": CANARY}
    )
    assert len(found.json()["matches"]) == 1
    client.post(f"/v1/subjects/{subject}/consents/marketing", headers=service)
    assert client.delete(url, headers=service).status_code == 204
    with opened.session() as db_session:
        rows = db_session.execute(text("SELECT * FROM audit_events")).all()
    dumped = repr(rows)
    operations = {row.operation for row in rows}
    assert {"record.write", "record.read", "record.update", "token.detokenize"} <= operations
    assert {"record.search", "consent.grant", "record.delete"} <= operations
    for secret in [CANARY, subject, "Canary Renamed", "Ada Lovelace", *tokens.values()]:
        assert secret not in dumped, secret
    assert "4111111111111111" not in dumped
    assert "4111 1111" not in dumped


def test_racing_retries_store_one_record(client: TestClient, opened: Vault) -> None:
    """Eight concurrent requests under one Idempotency-Key store one record: each answer is
    the first one (replayed) or 409 idempotency_key_in_use, never a second record."""
    headers = {**key_for(opened, "service"), "Idempotency-Key": "race-1"}
    payload = {"subject_id": "C-RACE", "values": {"email": "race@example.com"}}

    def post(_: int) -> httpx2.Response:
        return client.post("/v1/collections/customers/records", headers=headers, json=payload)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))
    stored = [a for a in answers if a.status_code == 201]
    assert stored, [a.status_code for a in answers]
    assert {a.json()["id"] for a in stored} == {stored[0].json()["id"]}
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409
            assert answer.json()["code"] == "idempotency_key_in_use"
    with opened.session() as db_session:
        assert db_session.execute(text("SELECT count(*) FROM records")).scalar() == 1
