"""Consent over HTTP: receipts, notices, origins and objections (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.consent import (
    ORIGIN_KEY_LABEL,
    ConsentEvent,
    origin_pseudonym,
    publish_notice,
    verify_receipt,
)
from privault.consent.rules import text_sha256
from privault.db.models import Base
from privault.rights import approve, open_request, verify_identity
from privault.rights.fulfil import Fulfiller, complete_request
from privault.vault import Vault

CANARY_IP = "198.51.100.77"
EN = "We send offers by e-mail."
DE = "Wir senden Angebote per E-Mail."
CUSTOMER = {"email": "ada@example.com", "phone": "+44 20 7946 0958", "birth_date": "1990-05-17"}


@pytest.fixture
def proxied(settings: Settings) -> Settings:
    """The settings with the client address taken from X-Forwarded-For (behind a proxy)."""
    auth = settings.auth.model_copy(update={"client_address_header": "X-Forwarded-For"})
    consent = settings.consent.model_copy(update={"controller_name": "Example Shop GmbH"})
    return settings.model_copy(update={"auth": auth, "consent": consent})


@pytest.fixture
def opened(proxied: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(proxied) as vault:
        yield vault


@pytest.fixture
def client(proxied: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app, connecting from the canary address."""
    app = create_app(proxied, vault=opened)
    with TestClient(app, client=(CANARY_IP, 50000)) as test_client:
        yield test_client


def key_for(vault: Vault, role: str) -> dict[str, str]:
    """Authorization header of a new key for ``role``."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=vault.records.clock.now(),
        )
    return {"Authorization": f"Bearer {created.key}"}


def publish(vault: Vault, version: str = "2024-05", language: str = "en", text: str = EN) -> None:
    """Publish a marketing notice."""
    with vault.session() as db_session:
        publish_notice(
            db_session=db_session, datamap=vault.datamap, purpose="marketing", version=version,
            language=language, text=text, at=vault.records.clock.now(), actor="operator:test",
        )  # fmt: skip


def consent_url(purpose: str = "marketing", subject: str = "C-1") -> str:
    """The consent URL of a customer and purpose."""
    return f"/v1/subjects/{subject}/consents/{purpose}"


class TestReceipts:
    """Every grant and withdrawal answers with a signed receipt that can be fetched again."""

    def test_grant_answers_with_a_verifiable_receipt(
        self, client: TestClient, opened: Vault
    ) -> None:
        """The receipt states the decision, notice hash, basis and controller, and verifies."""
        publish(opened)
        service = key_for(opened, "service")
        answer = client.post(
            consent_url(), headers=service, json={"source": "web", "notice_version": "2024-05"}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["granted"] is True
        receipt = body["receipt"]["receipt"]
        assert (receipt["subject_id"], receipt["purpose"], receipt["action"]) == (
            "C-1", "marketing", "grant",
        )  # fmt: skip
        assert receipt["notice"] == {
            "version": "2024-05",
            "language": "en",
            "sha256": text_sha256(EN),
        }
        assert (receipt["legal_basis"], receipt["controller"]) == ("consent", "Example Shop GmbH")
        assert verify_receipt(body["receipt"], opened.audit.public_key)
        again = client.get(body["receipt_url"], headers=service)
        assert again.status_code == 200
        assert again.json() == body["receipt"]

    def test_withdrawal_has_its_own_receipt(self, client: TestClient, opened: Vault) -> None:
        """Withdrawing is one call; the latest receipt is then the withdrawal's, tamper-evident."""
        service = key_for(opened, "service")
        granted = client.post(consent_url(), headers=service).json()["receipt"]
        withdrawn = client.delete(consent_url(), headers=service)
        assert withdrawn.status_code == 200
        receipt = withdrawn.json()["receipt"]
        assert receipt["receipt"]["action"] == "withdraw"
        assert receipt["receipt"]["receipt_id"] != granted["receipt"]["receipt_id"]
        latest = client.get(f"{consent_url()}/receipt", headers=service).json()
        assert latest == receipt
        assert verify_receipt(latest, opened.audit.public_key)
        # A customer who edits their receipt (withdraw -> grant) cannot pass it off.
        forged = copy.deepcopy(latest)
        forged["receipt"]["action"] = "grant"
        assert not verify_receipt(forged, opened.audit.public_key)

    def test_withdrawal_takes_the_same_optional_body(
        self, client: TestClient, opened: Vault
    ) -> None:
        """A withdrawal made on the shop's pages is recorded with source web."""
        service = key_for(opened, "service")
        withdrawn = client.request("DELETE", consent_url(), headers=service, json={"source": "web"})
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["source"] == "web"
        assert withdrawn.json()["receipt"]["receipt"]["source"] == "web"
        bad = client.request("DELETE", consent_url(), headers=service, json={"source": "fax"})
        assert bad.status_code == 422

    def test_no_decision_is_404_and_readers_are_403(
        self, client: TestClient, opened: Vault
    ) -> None:
        """No receipt without a decision; a role that may not record consent may not read it."""
        service = key_for(opened, "service")
        assert client.get(f"{consent_url()}/receipt", headers=service).status_code == 404
        client.post(consent_url(), headers=service)
        agent = key_for(opened, "support_agent")
        assert client.get(f"{consent_url()}/receipt", headers=agent).status_code == 403
        assert client.get(f"{consent_url()}/receipt").status_code == 401


class TestNotices:
    """The storefront reads published notices; grants must name published versions."""

    def test_latest_with_language_fallback(self, client: TestClient, opened: Vault) -> None:
        """?language= picks a text, falling back to less specific tags and the default."""
        publish(opened)
        publish(opened, language="de", text=DE)
        service = key_for(opened, "service")
        german = client.get("/v1/consent/notices/marketing?language=de-AT", headers=service)
        assert german.status_code == 200
        assert (german.json()["language"], german.json()["text"]) == ("de", DE)
        assert german.json()["sha256"] == text_sha256(DE)
        french = client.get("/v1/consent/notices/marketing", params={"language": "fr"},
                            headers=service)  # fmt: skip
        assert french.json()["language"] == "en"

    def test_specific_version(self, client: TestClient, opened: Vault) -> None:
        """An older version stays readable by its name; the bare URL gives the latest."""
        publish(opened)
        publish(opened, version="2024-09", text=EN + " And by post.")
        agent = key_for(opened, "support_agent")
        assert client.get("/v1/consent/notices/marketing", headers=agent).json()["version"] == (
            "2024-09"
        )
        old = client.get("/v1/consent/notices/marketing/versions/2024-05", headers=agent)
        assert (old.status_code, old.json()["text"]) == (200, EN)

    def test_missing_or_bad(self, client: TestClient, opened: Vault) -> None:
        """Nothing published is 404; an undeclared purpose or a bad tag is 422."""
        service = key_for(opened, "service")
        expected = {
            "/v1/consent/notices/marketing": 404,
            "/v1/consent/notices/marketing/versions/1999": 404,
            "/v1/consent/notices/telepathy": 422,
            "/v1/consent/notices/marketing?language=not_a_tag": 422,
            "/v1/consent/notices/marketing/versions/..%2F..": 404,
            "/v1/consent/notices/marketing/versions/a%20b": 422,
        }
        answered = {path: client.get(path, headers=service).status_code for path in expected}
        assert answered == expected
        publish(opened)
        assert client.get("/v1/consent/notices/analytics", headers=service).status_code == 404
        # Like every /v1 route, notices need a key.
        assert client.get("/v1/consent/notices/marketing").status_code == 401

    def test_grant_naming_an_unpublished_version_is_422(
        self, client: TestClient, opened: Vault
    ) -> None:
        """Once a purpose has notices, a grant names one of them; nothing else is recorded."""
        publish(opened)
        service = key_for(opened, "service")
        refused = client.post(consent_url(), headers=service, json={"notice_version": "2099"})
        assert refused.status_code == 422
        assert refused.json()["code"] == "notice_not_published"
        assert client.get(consent_url(), headers=service).status_code == 404
        german = client.post(
            consent_url(), headers=service,
            json={"notice_version": "2024-05", "notice_language": "de"},
        )  # fmt: skip
        assert german.status_code == 422


class TestOrigin:
    """The request's address is stored only as a keyed pseudonym (canary)."""

    def test_raw_address_is_nowhere_in_the_database(
        self, client: TestClient, opened: Vault
    ) -> None:
        """Behind a proxy and directly: events hold the pseudonym; no row holds the address."""
        service = key_for(opened, "service")
        forwarded = "203.0.113.199"
        client.post(consent_url(), headers={**service, "X-Forwarded-For": f"{forwarded}, 10.0.0.1"})
        client.delete(consent_url(), headers=service)  # no header: the connection's peer
        key = opened.keys.derived.derive(ORIGIN_KEY_LABEL)
        with opened.session() as db_session:
            origins = db_session.scalars(
                select(ConsentEvent.origin).order_by(ConsentEvent.at)
            ).all()
            dump = "".join(
                repr(db_session.execute(select(table)).all())
                for table in Base.metadata.sorted_tables
            )
        assert origins == [origin_pseudonym(key, forwarded), origin_pseudonym(key, CANARY_IP)]
        assert origins[0] != opened.audit.pseudonym(forwarded)  # a key of its own
        assert CANARY_IP not in dump
        assert forwarded not in dump


def read_fraud(client: TestClient, headers: dict[str, str], record_id: str) -> httpx2.Response:
    """Read the customer's record for fraud prevention."""
    return client.get(
        f"/v1/collections/customers/records/{record_id}",
        headers={**headers, "X-Privault-Purpose": "fraud_prevention"},
    )


class TestObjection:
    """An objection to a purpose on legitimate interest is enforced on the next read."""

    def _customer(self, client: TestClient, opened: Vault) -> tuple[dict[str, str], str]:
        service = key_for(opened, "service")
        stored = client.post(
            "/v1/collections/customers/records",
            headers=service,
            json={"subject_id": "C-1", "values": CUSTOMER},
        )
        assert stored.status_code == 201, stored.text
        return service, str(stored.json()["id"])

    def test_objection_through_the_consent_api(self, client: TestClient, opened: Vault) -> None:
        """Withdrawing a legitimate-interest purpose refuses the next read; a grant lifts it."""
        service, record_id = self._customer(client, opened)
        analyst = key_for(opened, "fraud_analyst")
        assert read_fraud(client, analyst, record_id).status_code == 200
        assert client.delete(consent_url("fraud_prevention"), headers=service).status_code == 200
        refused = read_fraud(client, analyst, record_id)
        assert refused.status_code == 403
        assert refused.json()["code"] == "objection_recorded"
        # Other purposes and customers are untouched.
        assert (
            client.get(
                f"/v1/collections/customers/records/{record_id}",
                headers={**service, "X-Privault-Purpose": "customer_support"},
            ).status_code
            == 200
        )
        client.post(consent_url("fraud_prevention"), headers=service)
        assert read_fraud(client, analyst, record_id).status_code == 200

    def test_objection_request_refuses_the_next_read(
        self, client: TestClient, opened: Vault
    ) -> None:
        """A completed objection request (rights workflow) is enforced by the policy."""
        _, record_id = self._customer(client, opened)
        analyst = key_for(opened, "fraud_analyst")
        assert read_fraud(client, analyst, record_id).status_code == 200
        now = opened.records.clock.now()
        with opened.session() as s:
            request = open_request(
                db_session=s, audit=opened.audit, subject_id="C-1", request_type="objection",
                regime="gdpr", at=now, actor="operator:test",
            ).request  # fmt: skip
            verify_identity(
                db_session=s, audit=opened.audit, request_id=request.id, method="operator",
                reason="ID checked", at=now, actor="operator:test",
            )  # fmt: skip
            approve(db_session=s, audit=opened.audit, request_id=request.id, at=now,
                    actor="operator:test")  # fmt: skip
            complete_request(
                db_session=s, fulfiller=Fulfiller.of(opened), request_id=request.id, at=now,
                actor="operator:test", purposes=["fraud_prevention"],
            )  # fmt: skip
        refused = read_fraud(client, analyst, record_id)
        assert (refused.status_code, refused.json()["code"]) == (403, "objection_recorded")
        search = client.post(
            "/v1/collections/customers/search",
            headers={**analyst, "X-Privault-Purpose": "fraud_prevention"},
            json={"field": "phone", "value": CUSTOMER["phone"]},
        )
        assert search.status_code == 200
        assert search.json()["matches"] == []
