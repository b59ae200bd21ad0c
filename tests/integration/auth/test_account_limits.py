"""Registrations and password-reset requests are limited per client address (429)."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORD = "a long and unusual passphrase for tests"


def test_an_address_gets_a_burst_then_429(client: TestClient) -> None:
    """Five account requests at once are answered; the sixth is 429 with Retry-After, and it
    counts registrations and reset requests together."""
    for i in range(3):
        response = client.post(
            "/v1/auth/register",
            json={"email": f"limit{i}@example.com", "password": PASSWORD},
        )
        assert response.status_code == 202, response.text
    for i in range(2):
        response = client.post(
            "/v1/auth/password/reset/request", json={"email": f"limit{i}@example.com"}
        )
        assert response.status_code == 202, response.text
    refused = client.post(
        "/v1/auth/register", json={"email": "limit9@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"] == "application/problem+json"
    assert "limit9" not in refused.text
