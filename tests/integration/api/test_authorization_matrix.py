"""Every role x purpose x field of the starter data map, through the HTTP API.

The expected view of each combination is worked out here from the data map's YAML, not with
privault's policy code, so a bug in the policy cannot hide behind its own oracle. Every
combination must answer exactly that: the granted view, or 403. No unexpected allow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.vault import Vault

VALUES: dict[str, dict[str, str]] = {
    "customers": {
        "email": "matrix.canary@example.com",
        "name": "Matrix Canary",
        "phone": "+44 20 7946 0958",
        "address": "12 High St, London, UK",
        "birth_date": "1990-05-17",
        "card": "4111111111111111",
    },
    "orders": {
        "billing_address": "1 Bill Rd, Paris, FR",
        "shipping_address": "2 Ship Ln, Berlin, DE",
        "ip_address": "203.0.113.7",
        "iban": "DE89370400440532013000",
    },
}


def expected_view(raw: dict[str, Any], role: str, purpose: str, collection: str, field: str) -> str:
    """The view the YAML grants, or "" for a refusal (worked out from the YAML alone)."""
    declared = raw["roles"][role]
    if purpose not in (declared.get("purposes") or []):
        return ""
    spec = raw["collections"][collection]["fields"][field]
    if "purposes" in spec and purpose not in spec["purposes"]:
        return ""
    reads = declared.get("read") or {}
    view = reads.get(f"{collection}.{field}", reads.get(f"{collection}.*"))
    return "" if view in (None, "denied") else str(view)


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(settings) as vault:
        yield vault


def test_every_combination_gets_exactly_its_view(settings: Settings, opened: Vault) -> None:
    """role x purpose x field: the granted view or 403; consent purposes need consent."""
    raw = yaml.safe_load(Path(settings.datamap_path).read_text(encoding="utf-8"))
    stored = {
        collection: opened.put(collection, "C-M", values) for collection, values in VALUES.items()
    }
    consent_purposes = [p for p, spec in raw["purposes"].items() if spec["basis"] == "consent"]
    checked = allowed = 0
    with TestClient(create_app(settings, vault=opened)) as client:
        keys: dict[str, dict[str, str]] = {}
        with opened.session() as db_session:
            for role in raw["roles"]:
                created = create_api_key(
                    db_session=db_session,
                    datamap=opened.datamap,
                    hash_key=opened.keys.derived.derive(HASH_KEY_LABEL),
                    role=role,
                    at=opened.records.clock.now(),
                )
                keys[role] = {"Authorization": f"Bearer {created.key}"}
        backend = keys["service"]
        for purpose in consent_purposes:
            granted = client.post(f"/v1/subjects/C-M/consents/{purpose}", headers=backend)
            assert granted.status_code == 200
        for role in raw["roles"]:
            for purpose in raw["purposes"]:
                for collection, values in VALUES.items():
                    for field, value in values.items():
                        want = expected_view(raw, role, purpose, collection, field)
                        response = client.get(
                            f"/v1/collections/{collection}/records/{stored[collection].id}",
                            headers={**keys[role], "X-Privault-Purpose": purpose},
                            params={"fields": field},
                        )
                        where = (role, purpose, collection, field)
                        checked += 1
                        if not want:
                            assert response.status_code == 403, (where, response.text)
                            assert value not in response.text
                            continue
                        allowed += 1
                        assert response.status_code == 200, (where, response.text)
                        body = response.json()
                        assert body["views"] == {field: want}, where
                        shown = body["fields"][field]
                        if want == "plain":
                            assert shown == value, where
                        elif want == "token":
                            assert shown == stored[collection].tokens[field], where
                        else:
                            assert shown != value, where
        # Consent withdrawal takes effect on the very next request.
        for purpose in consent_purposes:
            client.delete(f"/v1/subjects/C-M/consents/{purpose}", headers=backend)
            for role in raw["roles"]:
                response = client.get(
                    f"/v1/collections/customers/records/{stored['customers'].id}",
                    headers={**keys[role], "X-Privault-Purpose": purpose},
                )
                assert response.status_code == 403, (role, purpose)
    roles, purposes = len(raw["roles"]), len(raw["purposes"])
    assert checked == roles * purposes * sum(len(v) for v in VALUES.values())
    assert 0 < allowed < checked
