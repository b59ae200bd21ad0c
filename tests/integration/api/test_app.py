"""The HTTP app: health, version, OpenAPI docs, and problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault import __version__
from privault.api import create_app
from privault.config import Settings
from privault.db import SCHEMA_REVISION
from privault.errors import IntegrityViolation, NotFound


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client on the app of a fresh home (lifespan runs: the vault opens)."""
    app = create_app(settings)

    @app.get("/_test/not-found")
    def not_found() -> None:
        raise NotFound("record rec_x not found", code="record_not_found")

    @app.get("/_test/integrity")
    def integrity() -> None:
        raise IntegrityViolation("ciphertext failed authentication")

    @app.get("/_test/bug")
    def bug() -> None:
        raise RuntimeError("secret-canary in a bug")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class TestOperations:
    """Endpoints operators and load balancers use."""

    def test_health_reports_database(self, client: TestClient, settings: Settings) -> None:
        """/health answers ok with the dialect in use."""
        response = client.get("/health")
        assert response.status_code == 200
        expected = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
        assert response.json() == {"status": "ok", "database": expected}

    def test_version(self, client: TestClient) -> None:
        """/version names the code and schema versions."""
        assert client.get("/version").json() == {
            "version": __version__,
            "schema_revision": SCHEMA_REVISION,
        }

    def test_openapi_docs_are_served(self, client: TestClient) -> None:
        """/docs serves the interactive docs and /openapi.json describes every route."""
        assert client.get("/docs").status_code == 200
        spec = client.get("/openapi.json").json()
        assert {"/health", "/version"} <= set(spec["paths"])
        for path in ("/health", "/version"):
            assert spec["paths"][path]["get"]["description"]


class TestTransport:
    """Security headers and request size limits on every response."""

    def test_security_headers(self, client: TestClient) -> None:
        """API answers are not cached, sniffed or framed."""
        response = client.get("/health")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # plain HTTP here

    def test_oversized_body_is_413(self, client: TestClient) -> None:
        """A body over the limit is refused with problem+json before it is read whole."""
        response = client.post("/health", content=b"x" * (2 << 20))
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"


class TestProblemJson:
    """Every error is RFC 9457 problem+json from one mapping table."""

    def test_unknown_route_is_problem_json(self, client: TestClient) -> None:
        """A 404 from routing is problem+json too."""
        response = client.get("/nope")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404

    def test_error_kind_maps_to_status(self, client: TestClient) -> None:
        """NotFound is 404 with its code and message."""
        response = client.get("/_test/not-found")
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "record_not_found"
        assert body["detail"] == "record rec_x not found"
        assert body["instance"] == "/_test/not-found"
        assert body["type"].endswith("/record_not_found")

    def test_integrity_violation_is_500_without_detail_leak(self, client: TestClient) -> None:
        """Tampering is a server-side 500 with the error's own message."""
        response = client.get("/_test/integrity")
        assert response.status_code == 500
        assert response.json()["code"] == "integrity_violation"

    def test_unexpected_error_hides_its_message(self, client: TestClient) -> None:
        """A bug answers a generic 500 and never echoes the exception text."""
        response = client.get("/_test/bug")
        assert response.status_code == 500
        assert response.json()["detail"] == "internal error"
        assert "canary" not in response.text

    def test_wrong_method_is_problem_json(self, client: TestClient) -> None:
        """405 is problem+json."""
        response = client.post("/health")
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"


def test_server_signs_checkpoints_of_new_events(settings: Settings) -> None:
    """While serving, a checkpoint is signed once enough events arrive; one more at shutdown."""
    import time as _time

    from privault.vault import Vault

    configured = settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"checkpoint_every_events": 2})}
    )
    with Vault.open(configured) as vault, TestClient(create_app(configured, vault=vault)):
        vault.put("customers", "C1", {"email": "a@example.com"})
        vault.put("customers", "C2", {"email": "b@example.com"})
        deadline = _time.monotonic() + 10
        while not vault.audit.external_checkpoints() and _time.monotonic() < deadline:
            _time.sleep(0.1)
        assert len(vault.audit.external_checkpoints()) == 1
        vault.put("customers", "C3", {"email": "c@example.com"})
    sizes = [cp.tree_size for _, cp in vault.audit.external_checkpoints() if cp is not None]
    assert sizes == [2, 3]
