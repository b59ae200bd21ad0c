"""One customer's whole story over HTTP, on SQLite and PostgreSQL: imported, consents, is read by
support and the warehouse, asks for their data (code by e-mail), gets a package that matches
what is stored and lists those reads, then asks for erasure and gets a certificate that verifies;
afterwards nothing of theirs resolves. A second customer is restricted and cannot be read; a
third sends a GPC signal and is opted out without being asked anything else.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.rights.fulfil import verify_certificate
from privault.vault import Vault
from privault.vault.importer import import_stream

SUBJECT = "C-STORY-1"
RESTRICTED = "C-STORY-2"
EMAIL = "ilse.brandt@example.com"
NAME = "Ilse Brandt"
PHONE = "+49 30 901820"
CSV = (
    "customer_id,email,name,phone,address\n"
    f"{SUBJECT},{EMAIL},{NAME},{PHONE},Unter den Linden 1 Berlin DE\n"
    f"{RESTRICTED},otto.k@example.com,Otto Krause,+49 30 901821,Hauptstr 2 Hamburg DE\n"
)


class Codes:
    """Identity codes as the customer's mailbox would receive them."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, **kwargs: Any) -> None:
        self.sent.append(str(kwargs["code"]))


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault, with the two customers imported from CSV."""
    with Vault.open(settings) as vault:
        report = import_stream(
            io.BytesIO(CSV.encode()),
            fmt="csv",
            collection="customers",
            subject_column="customer_id",
            records=vault.records,
            sessions=vault.session,
            audit=vault.audit,
        )
        assert report.rows_imported == 2, report
        yield vault


@pytest.fixture
def codes() -> Codes:
    return Codes()


@pytest.fixture
def client(settings: Settings, opened: Vault, codes: Codes) -> Iterator[TestClient]:
    app = create_app(settings, vault=opened)
    app.state.rights_code_sender = codes
    with TestClient(app) as test_client:
        yield test_client


def key(vault: Vault, role: str) -> dict[str, str]:
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


def record_of(client: TestClient, shop: dict[str, str], subject: str) -> str:
    """The record id of a customer, found by a search on their e-mail."""
    email = EMAIL if subject == SUBJECT else "otto.k@example.com"
    found = client.post(
        "/v1/collections/customers/search",
        json={"field": "email", "value": email.upper()},  # normalised before the lookup
        headers={**shop, "X-Privault-Purpose": "customer_support"},
    )
    assert found.status_code == 200, found.text
    (match,) = found.json()["matches"]
    assert match["subject_id"] == subject
    record_id: str = match["record_id"]
    return record_id


def open_verified(
    client: TestClient, shop: dict[str, str], dpo: dict[str, str], codes: Codes, subject: str,
    kind: str,
) -> str:  # fmt: skip
    """A request opened by the shop, verified by the code the customer received, approved."""
    created = client.post("/v1/requests", json={"subject_id": subject, "type": kind}, headers=shop)
    assert created.status_code == 201, created.text
    request_id: str = created.json()["id"]
    assert client.post(f"/v1/requests/{request_id}/code", headers=shop).status_code == 202
    verified = client.post(
        f"/v1/requests/{request_id}/verify", json={"code": codes.sent[-1]}, headers=shop
    )
    assert verified.status_code == 200, verified.text
    assert client.post(f"/v1/requests/{request_id}/approve", headers=dpo).status_code == 200
    return request_id


def test_a_customer_from_import_to_erasure(client: TestClient, opened: Vault, codes: Codes) -> None:
    shop = key(opened, "service")
    support = key(opened, "support_agent")
    warehouse = key(opened, "fulfillment")
    dpo = key(opened, "dpo")

    # Consent, as the storefront's banner records it.
    granted = client.post(
        f"/v1/subjects/{SUBJECT}/consents/marketing",
        json={"source": "web", "notice_version": "2026-11"},
        headers=shop,
    )
    assert granted.status_code == 200, granted.text

    # Two reads: support (masked e-mail) and the warehouse (name by token).
    record_id = record_of(client, support, SUBJECT)
    read = client.get(
        f"/v1/collections/customers/records/{record_id}",
        headers={**support, "X-Privault-Purpose": "customer_support"},
    )
    assert read.status_code == 200, read.text
    assert read.json()["fields"]["name"] == NAME
    assert read.json()["fields"]["email"] != EMAIL  # masked for support
    tokens = opened.records.tokens_of(opened.get("customers", record_id))
    name_token, email_token = tokens["name"], tokens["email"]
    shown = client.post(
        "/v1/detokenize",
        json={"tokens": [name_token]},
        headers={**warehouse, "X-Privault-Purpose": "order_fulfillment"},
    )
    assert shown.json()["results"][0]["value"] == NAME

    # Access: the package holds exactly what is stored, the consent, and who read it and why.
    request_id = open_verified(client, shop, dpo, codes, SUBJECT, "access")
    done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
    assert done.status_code == 200, done.text
    package = client.get(done.json()["download"]["url"]).json()
    assert package["subject_id"] == SUBJECT
    (stored,) = package["records"]
    assert stored["record_id"] == record_id
    values = {field["field"]: field["value"] for field in stored["fields"]}
    assert values == opened.get("customers", record_id).values  # exactly what is stored
    assert values["email"] == EMAIL
    assert values["name"] == NAME
    assert {(c["purpose"], c["granted"]) for c in package["consents"]} == {("marketing", True)}
    reads = {(e["operation"], e["purpose"]) for e in package["access_history"]}
    assert ("record.read", "customer_support") in reads
    assert ("token.detokenize", "order_fulfillment") in reads

    # Erasure: a certificate that verifies, with its audit proof once checkpointed.
    request_id = open_verified(client, shop, dpo, codes, SUBJECT, "erasure")
    done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
    assert done.status_code == 200, done.text
    public = opened.keys.audit_signing_key().public_key()
    assert verify_certificate(done.json()["certificate"], public)
    opened.audit.checkpoint(sessions=opened.session)
    certificate = client.get(f"/v1/requests/{request_id}/certificate", headers=dpo).json()
    assert verify_certificate(certificate, public, require_proof=True)
    kept = certificate["certificate"]["legal_obligation_fields"]
    # Declared for invoicing (a legal obligation): address, and name (declared for every
    # purpose); the e-mail is not.
    assert {entry["field"] for entry in kept} == {"address", "name"}
    for entry in kept:
        assert entry["kept"] is True
        assert entry["reason"]  # each field kept by law names why
        assert entry["retain_until"]

    # Nothing of theirs resolves any more: record, tokens, search.
    gone = client.get(
        f"/v1/collections/customers/records/{record_id}",
        headers={**support, "X-Privault-Purpose": "customer_support"},
    )
    assert gone.status_code == 404
    results = client.post(
        "/v1/detokenize",
        json={"tokens": [name_token, email_token]},
        headers={**warehouse, "X-Privault-Purpose": "order_fulfillment"},
    ).json()["results"]
    assert [r["error"] for r in results] == ["not_found", "not_found"]
    searched = client.post(
        "/v1/collections/customers/search",
        json={"field": "email", "value": EMAIL},
        headers={**support, "X-Privault-Purpose": "customer_support"},
    )
    assert searched.json()["matches"] == []


def test_restricted_customer_cannot_be_read(
    client: TestClient, opened: Vault, codes: Codes
) -> None:
    shop, support, dpo = key(opened, "service"), key(opened, "support_agent"), key(opened, "dpo")
    record_id = record_of(client, support, RESTRICTED)
    request_id = open_verified(client, shop, dpo, codes, RESTRICTED, "restriction")
    assert client.post(f"/v1/requests/{request_id}/complete", headers=dpo).status_code == 200
    refused = client.get(
        f"/v1/collections/customers/records/{record_id}",
        headers={**support, "X-Privault-Purpose": "customer_support"},
    )
    assert refused.status_code == 403
    assert "Otto" not in refused.text


def test_gpc_signal_opts_out_without_asking_anything_else(
    client: TestClient, opened: Vault
) -> None:
    shop = key(opened, "service")
    answer = client.post(f"/v1/subjects/{SUBJECT}/gpc", headers={**shop, "Sec-GPC": "1"})
    assert answer.status_code == 200, answer.text
    opted = answer.json()["opted_out"]
    sale_or_share = [name for name, p in opened.datamap.purposes.items() if p.sale_or_share]
    assert sorted(opted) == sorted(sale_or_share)
    for purpose in sale_or_share:
        state = client.get(f"/v1/subjects/{SUBJECT}/consents/{purpose}", headers=shop)
        assert state.json()["granted"] is False
        assert state.json()["source"] == "gpc"
