"""A request's data leaves only once its transaction (and the audit event in it) has committed;
API keys recognised from memory stop working within ``server.api_key_cache_s`` of a revocation
made elsewhere, and at once when the cache is off. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, ApiKeyCache, create_api_key, revoke_api_key
from privault.config import Settings
from privault.vault import RecordCreate, Vault

CANARY_NAME = "Zebulon Quastlewick"
PURPOSE = "order_fulfillment"


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(settings) as vault:
        yield vault


def make_key(vault: Vault, role: str) -> tuple[str, str]:
    """A new API key for ``role``: (plaintext, id)."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=vault.records.clock.now(),
        )
    return created.key, created.record.id


def headers(key: str) -> dict[str, str]:
    """Authorization and purpose headers."""
    return {"Authorization": f"Bearer {key}", "X-Privault-Purpose": PURPOSE}


def audit_count(vault: Vault) -> int:
    """Events in the log."""
    with vault.session() as db_session:
        return int(db_session.execute(text("SELECT count(*) FROM audit_events")).scalar_one())


class FailingCommits:
    """Makes every commit of the vault's engine fail, as a full disk or a lost server would."""

    def __init__(self, vault: Vault) -> None:
        self.engine = vault.database.engine
        self.armed = False

    def _fail(self, _connection: Any) -> None:
        if self.armed:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    def __enter__(self) -> FailingCommits:
        event.listen(self.engine, "commit", self._fail)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "commit", self._fail)


class TestNoDataBeforeCommit:
    """If the transaction holding the audit event cannot commit, the caller gets no data."""

    @pytest.fixture
    def stored(self, opened: Vault) -> tuple[str, str]:
        """A customer: (record id, token of the name)."""
        record = opened.put_many(
            [RecordCreate("customers", "C-77", {"name": CANARY_NAME, "email": "z@example.com"})]
        )[0]
        return record.id, record.tokens["name"]

    def test_detokenize_fails_closed(
        self, settings: Settings, opened: Vault, stored: tuple[str, str]
    ) -> None:
        _, token = stored
        key, _ = make_key(opened, "fulfillment")
        with TestClient(create_app(settings, vault=opened)) as client:
            ok = client.post("/v1/detokenize", headers=headers(key), json={"tokens": [token]})
            assert ok.status_code == 200
            assert ok.json()["results"][0]["value"] == CANARY_NAME
            before = audit_count(opened)
            with FailingCommits(opened) as failing:
                failing.armed = True
                refused = client.post(
                    "/v1/detokenize", headers=headers(key), json={"tokens": [token]}
                )
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert CANARY_NAME not in refused.text
        assert audit_count(opened) == before  # nothing half-written either

    def test_record_read_fails_closed(
        self, settings: Settings, opened: Vault, stored: tuple[str, str]
    ) -> None:
        record_id, _ = stored
        key, _ = make_key(opened, "fulfillment")
        with (
            TestClient(create_app(settings, vault=opened)) as client,
            FailingCommits(opened) as failing,
        ):
            failing.armed = True
            refused = client.get(
                f"/v1/collections/customers/records/{record_id}", headers=headers(key)
            )
        assert refused.status_code == 503
        assert CANARY_NAME not in refused.text

    def test_routes_committing_at_the_end_fail_closed_too(
        self, settings: Settings, opened: Vault, stored: tuple[str, str]
    ) -> None:
        """A route left to the dependency's commit (consent) answers 503, not 200."""
        key, _ = make_key(opened, "service")
        with (
            TestClient(create_app(settings, vault=opened)) as client,
            FailingCommits(opened) as failing,
        ):
            failing.armed = True
            refused = client.post(
                "/v1/subjects/C-77/consents/marketing", headers={"Authorization": f"Bearer {key}"}
            )
        assert refused.status_code == 503
        with opened.session() as db_session:  # the grant did not happen
            assert db_session.execute(text("SELECT count(*) FROM consent_events")).scalar() == 0


class FakeMonotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestKeyCache:
    """A revocation made by another process takes effect within the cache's lifetime."""

    def _revoke(self, vault: Vault, key_id: str) -> None:
        # As `privault apikey revoke` in another process: straight to the database.
        with vault.session() as db_session:
            revoke_api_key(db_session=db_session, key_id=key_id, at=vault.records.clock.now())

    def test_revoked_elsewhere_refused_after_lifetime(
        self, settings: Settings, opened: Vault
    ) -> None:
        key, key_id = make_key(opened, "service")
        clock = FakeMonotonic()
        app = create_app(settings, vault=opened)
        with TestClient(app) as client:
            app.state.api_key_cache = ApiKeyCache(5.0, monotonic=clock)
            path = "/v1/subjects/C-1/consents/marketing"
            auth = {"Authorization": f"Bearer {key}"}
            assert client.get(path, headers=auth).status_code == 404  # in (no consent yet)
            self._revoke(opened, key_id)
            clock.now += 4.9
            assert client.get(path, headers=auth).status_code == 404  # in: no consent yet (window)
            clock.now += 0.2
            assert client.get(path, headers=auth).status_code == 401

    def test_wrong_secret_for_a_remembered_id_is_refused(
        self, settings: Settings, opened: Vault
    ) -> None:
        key, _ = make_key(opened, "service")
        with TestClient(create_app(settings, vault=opened)) as client:
            path = "/v1/subjects/C-1/consents/marketing"
            assert client.get(path, headers={"Authorization": f"Bearer {key}"}).status_code == 404
            forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
            refused = client.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401

    def test_cache_off_refuses_at_once(self, settings: Settings, opened: Vault) -> None:
        key, key_id = make_key(opened, "service")
        off = settings.model_copy(
            update={"server": settings.server.model_copy(update={"api_key_cache_s": 0})}
        )
        with TestClient(create_app(off, vault=opened)) as client:
            path = "/v1/subjects/C-1/consents/marketing"
            auth = {"Authorization": f"Bearer {key}"}
            assert client.get(path, headers=auth).status_code == 404  # in (no consent yet)
            self._revoke(opened, key_id)
            assert client.get(path, headers=auth).status_code == 401
