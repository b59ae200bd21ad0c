"""Fulfilment over HTTP: complete with actions, single-use package links, the certificate."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.config import Settings
from privault.rights.fulfil import verify_certificate
from privault.vault import Vault

T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.moment


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still at T0 until a test moves it."""
    return FrozenClock(T0)


@pytest.fixture
def opened(settings: Settings, clock: FrozenClock) -> Iterator[Vault]:
    """The vault the app serves, on the frozen clock."""
    with Vault.open(settings, clock=clock) as vault:
        yield vault


@pytest.fixture
def client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """A client of the app."""
    with TestClient(create_app(settings, vault=opened)) as test_client:
        yield test_client


def key(vault: Vault, role: str) -> dict[str, str]:
    """Authorization headers of a new API key for ``role``."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=T0,
        )
    return {"Authorization": f"Bearer {created.key}"}


@pytest.fixture
def dpo(opened: Vault) -> dict[str, str]:
    """A key of the role that handles requests."""
    return key(opened, "dpo")


@pytest.fixture
def record_id(opened: Vault) -> str:
    """A customer whose name is hostile HTML; their record id."""
    return opened.put("customers", "C-1001", {"email": "ada@example.com", "name": HOSTILE}).id


def in_progress(client: TestClient, dpo: dict[str, str], kind: str) -> str:
    """A request of ``kind`` for C-1001, verified and approved; its id."""
    created = client.post("/v1/requests", json={"subject_id": "C-1001", "type": kind}, headers=dpo)
    request_id: str = created.json()["id"]
    verified = client.post(f"/v1/requests/{request_id}/verify", json={"session": True}, headers=dpo)
    assert verified.status_code == 200, verified.text
    assert client.post(f"/v1/requests/{request_id}/approve", headers=dpo).status_code == 200
    return request_id


class TestPackageDownload:
    """GET /v1/requests/{id}/package: the token is the credential, once, until it expires."""

    def test_each_format_once(
        self, client: TestClient, dpo: dict[str, str], record_id: str
    ) -> None:
        """Completion returns a link; JSON, CSV and HTML each need a fresh link."""
        request_id = in_progress(client, dpo, "access")
        done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "completed"
        url = done.json()["download"]["url"]
        got = client.get(url)  # no API key: the link is the credential
        assert got.status_code == 200
        assert got.headers["cache-control"] == "no-store"
        assert got.json()["records"][0]["record_id"] == record_id
        again = client.get(url)
        assert again.status_code == 403
        assert again.json()["code"] == "link_used"
        for fmt in ("csv", "html"):
            link = client.post(f"/v1/requests/{request_id}/package/links", headers=dpo)
            assert link.status_code == 201
            got = client.get(link.json()["url"] + f"&format={fmt}")
            assert got.status_code == 200
            if fmt == "csv":
                table = list(csv.DictReader(io.StringIO(got.text)))
                assert {row["field"]: row["value"] for row in table}["name"] == HOSTILE
            else:
                assert HOSTILE not in got.text
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in got.text
                assert "default-src 'none'" in got.headers["content-security-policy"]

    def test_expired_link_is_refused(
        self, client: TestClient, dpo: dict[str, str], clock: FrozenClock, record_id: str
    ) -> None:
        """Seven days later the link no longer works."""
        request_id = in_progress(client, dpo, "portability")
        url = client.post(f"/v1/requests/{request_id}/complete", headers=dpo).json()["download"][
            "url"
        ]
        clock.moment += timedelta(days=7)
        refused = client.get(url)
        assert refused.status_code == 403
        assert refused.json()["code"] == "link_expired"

    @pytest.mark.parametrize(
        "query", ["", "?token=", "?token=pkg_nope", "?token=" + "a" * 100, "?token=x&format=pdf"]
    )
    def test_bad_links(
        self, client: TestClient, dpo: dict[str, str], record_id: str, query: str
    ) -> None:
        """Missing, forged, oversized tokens and unknown formats: 404 or 422, never 500."""
        request_id = in_progress(client, dpo, "access")
        client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
        answer = client.get(f"/v1/requests/{request_id}/package{query}")
        assert answer.status_code in (404, 422)


class TestCompletionRoute:
    """POST /complete performs the action; bodies are checked."""

    def test_erasure_returns_a_verifiable_certificate(
        self, client: TestClient, dpo: dict[str, str], opened: Vault, record_id: str
    ) -> None:
        """The certificate from /complete and /certificate verifies with the audit key."""
        request_id = in_progress(client, dpo, "erasure")
        done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
        assert done.status_code == 200, done.text
        public = opened.keys.audit_signing_key().public_key()
        assert verify_certificate(done.json()["certificate"], public)
        opened.audit.checkpoint(sessions=opened.session)
        fetched = client.get(f"/v1/requests/{request_id}/certificate", headers=dpo)
        assert verify_certificate(fetched.json(), public, require_proof=True)
        assert client.get(f"/v1/requests/{request_id}/certificate").status_code == 401

    def test_rectification_body(
        self, client: TestClient, dpo: dict[str, str], opened: Vault, record_id: str
    ) -> None:
        """Corrections in the body are applied; unknown keys are 422."""
        request_id = in_progress(client, dpo, "rectification")
        bad = client.post(
            f"/v1/requests/{request_id}/complete", json={"changes": [], "x": 1}, headers=dpo
        )
        assert bad.status_code == 422
        change = {"collection": "customers", "record_id": record_id, "values": {"name": "Ada"}}
        done = client.post(
            f"/v1/requests/{request_id}/complete", json={"changes": [change]}, headers=dpo
        )
        assert done.status_code == 200, done.text
        assert opened.get("customers", record_id).values["name"] == "Ada"

    def test_restricted_customer_cannot_be_read(
        self, client: TestClient, dpo: dict[str, str], opened: Vault, record_id: str
    ) -> None:
        """After a restriction completes, support's read for its purpose is refused."""
        support = {**key(opened, "support_agent"), "X-Privault-Purpose": "customer_support"}
        url = f"/v1/collections/customers/records/{record_id}"
        assert client.get(url, headers=support).status_code == 200
        request_id = in_progress(client, dpo, "restriction")
        assert client.post(f"/v1/requests/{request_id}/complete", headers=dpo).status_code == 200
        refused = client.get(url, headers=support)
        assert refused.status_code == 403
        assert refused.json()["code"] == "processing_restricted"

    def test_objection_without_purposes_is_422_and_changes_nothing(
        self, client: TestClient, dpo: dict[str, str]
    ) -> None:
        """The request stays in progress."""
        request_id = in_progress(client, dpo, "objection")
        refused = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
        assert refused.status_code == 422
        assert refused.json()["code"] == "purposes_required"
        shown = client.get(f"/v1/requests/{request_id}", headers=dpo).json()
        assert shown["state"] == "in_progress"
