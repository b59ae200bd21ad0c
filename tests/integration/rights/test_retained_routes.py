"""End to end over HTTP: an erasure request completes, every token and record is gone, the
certificate verifies with the public key and the audit proof, and the legal-obligation fields
kept are listed with their reason (and open only through the operator path)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.errors import NotFound
from privault.rights.fulfil import verify_certificate
from privault.vault import Vault

from .retained import BILLING, IBAN, kept_of, reveal

T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)


class FrozenClock:
    """Time stands still."""

    def now(self) -> datetime:
        """The frozen time."""
        return T0


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves, on the frozen clock."""
    with Vault.open(settings, clock=FrozenClock()) as vault:
        yield vault


@pytest.fixture
def client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app."""
    with TestClient(create_app(settings, vault=opened)) as test_client:
        yield test_client


@pytest.fixture
def dpo(opened: Vault) -> dict[str, str]:
    """Headers of a key of the role that handles requests."""
    with opened.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=opened.datamap,
            hash_key=opened.keys.derived.derive(HASH_KEY_LABEL),
            role="dpo",
            at=T0,
        )
    return {"Authorization": f"Bearer {created.key}", "X-Privault-Purpose": "privacy_requests"}


def test_erasure_end_to_end(client: TestClient, dpo: dict[str, str], opened: Vault) -> None:
    """Complete over HTTP; tokens and records gone; certificate and proof verify; kept listed."""
    person = opened.put(
        "customers", "C-1001", {"email": "ada@example.com", "phone": "+4915112345678"}
    )
    order = opened.put("orders", "C-1001", {"billing_address": BILLING, "iban": IBAN})
    tokens = [*person.tokens.values(), *order.tokens.values()]
    created = client.post(
        "/v1/requests", json={"subject_id": "C-1001", "type": "erasure"}, headers=dpo
    )
    request_id = created.json()["id"]
    assert (
        client.post(
            f"/v1/requests/{request_id}/verify", json={"session": True}, headers=dpo
        ).status_code
        == 200
    )
    assert client.post(f"/v1/requests/{request_id}/approve", headers=dpo).status_code == 200
    done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
    assert done.status_code == 200, done.text

    for token in tokens:
        with pytest.raises(NotFound):
            opened.detokenize(token)
    for stored in (person, order):
        read = client.get(f"/v1/collections/{stored.collection}/records/{stored.id}", headers=dpo)
        assert read.status_code == 404

    opened.audit.checkpoint(sessions=opened.session)
    fetched = client.get(f"/v1/requests/{request_id}/certificate", headers=dpo).json()
    public = opened.keys.audit_signing_key().public_key()
    assert verify_certificate(fetched, public, require_proof=True)
    assert fetched["certificate"] == done.json()["certificate"]["certificate"]
    listed = {
        (i["collection"], i["field"]): i for i in fetched["certificate"]["legal_obligation_fields"]
    }
    assert set(listed) == {  # the starter's e-mail is not declared for invoicing
        ("orders", "billing_address"),
        ("orders", "iban"),
    }
    iban = listed["orders", "iban"]
    assert iban["kept"] is True
    assert iban["reason"].startswith("invoicing: ")
    assert iban["retain_until"] == (T0 + timedelta(days=730)).isoformat()
    assert "DE89" not in str(fetched)

    kept = kept_of(opened, "C-1001")
    assert reveal(opened, kept["orders", "iban"].id) == IBAN
