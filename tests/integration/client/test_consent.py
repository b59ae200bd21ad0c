"""The SDK's consent calls, authentication, errors and retries against the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.client import ApiError, Client, Retry
from privault.config import Settings
from privault.vault import Vault

from .conftest import BASE_URL, AppTransport, MakeClient, make_key


class TestConsent:
    """grant_consent / withdraw_consent / consent."""

    def test_grant_withdraw_and_read(self, connect: MakeClient) -> None:
        """A grant, then a withdrawal; consent() reads the current state."""
        client = connect("service")
        granted = client.grant_consent(
            "C-1001", "marketing", source="web", notice_version="2026-11"
        )
        assert (granted.subject_id, granted.purpose, granted.granted) == (
            "C-1001",
            "marketing",
            True,
        )
        assert (granted.source, granted.notice_version) == ("web", "2026-11")
        assert granted.updated_at.tzinfo is not None
        withdrawn = client.withdraw_consent("C-1001", "marketing")
        assert withdrawn.granted is False
        current = client.consent("C-1001", "marketing")
        assert current is not None
        assert current.granted is False

    def test_default_source_is_api(self, connect: MakeClient) -> None:
        """A bare grant is recorded as coming from the shop's backend."""
        assert connect("service").grant_consent("C-1", "analytics").source == "api"

    def test_never_recorded_is_none(self, connect: MakeClient) -> None:
        """consent() is None for a customer who never decided."""
        assert connect("service").consent("C-unknown", "marketing") is None

    @pytest.mark.parametrize("subject_id", ["C 1?x#y&z=1", "..", ".", "Zoë"])
    def test_awkward_customer_ids_round_trip(self, connect: MakeClient, subject_id: str) -> None:
        """Customer ids with URL-special characters reach the server as one path segment."""
        client = connect("service")
        assert client.grant_consent(subject_id, "marketing").subject_id == subject_id
        current = client.consent(subject_id, "marketing")
        assert current is not None
        assert current.subject_id == subject_id

    def test_slash_in_customer_id_reaches_no_other_route(self, connect: MakeClient) -> None:
        """An encoded '/' is not split into two segments: the server finds no route (404)."""
        with pytest.raises(ApiError) as caught:
            connect("service").grant_consent("C/consents/marketing", "marketing")
        assert caught.value.status == 404


class TestErrors:
    """Refusals arrive as ApiError with the server's status and code."""

    def test_bad_key_is_401(self, app_client: TestClient) -> None:
        """An unknown API key is 401 unauthenticated."""
        client = Client(BASE_URL, "pvk_forged", transport=AppTransport(app_client))
        with client, pytest.raises(ApiError) as caught:
            client.grant_consent("C-1", "marketing")
        assert (caught.value.status, caught.value.code) == (401, "bad_api_key")

    def test_role_without_write_is_403(self, connect: MakeClient) -> None:
        """A support agent may not record consent."""
        with pytest.raises(ApiError) as caught:
            connect("support_agent").grant_consent("C-1", "marketing")
        assert (caught.value.status, caught.value.code) == (403, "consent_not_granted")

    def test_undeclared_purpose_is_422(self, connect: MakeClient) -> None:
        """A purpose the data map does not declare is refused."""
        with pytest.raises(ApiError) as caught:
            connect("service").grant_consent("C-1", "telepathy")
        assert caught.value.status == 422

    def test_malformed_body_lists_issues_without_values(self, connect: MakeClient) -> None:
        """A notice version with a line break is 422 naming where, not what."""
        canary = "2026\nCANARY-NOTICE"
        with pytest.raises(ApiError) as caught:
            connect("service").grant_consent("C-1", "marketing", notice_version=canary)
        error = caught.value
        assert (error.status, error.code) == (422, "invalid_request")
        assert ("body", "notice_version") in [issue.loc for issue in error.issues]
        assert "CANARY" not in str(error) + repr(error) + repr(error.issues)

    def test_too_long_customer_id_is_422(self, connect: MakeClient) -> None:
        """The server's limit on customer ids surfaces as 422."""
        with pytest.raises(ApiError) as caught:
            connect("service").grant_consent("C" * 256, "marketing")
        assert caught.value.status == 422


class TestRateLimit:
    """429 from the server's per-key rate limit."""

    @pytest.fixture
    def tight_app(self, settings: Settings, opened: Vault) -> Iterator[TestClient]:
        """The app with 2 requests/s per key and no burst."""
        tight = settings.model_copy(
            update={
                "server": settings.server.model_copy(update={"rate_per_s": 2.0, "rate_burst": 1})
            }
        )
        with TestClient(create_app(tight, vault=opened)) as test_client:
            yield test_client

    def test_429_without_retry_raises_with_retry_after(
        self, tight_app: TestClient, opened: Vault
    ) -> None:
        """By default the caller sees the 429 and how long to wait."""
        key = make_key(opened, "service")
        with Client(BASE_URL, key, transport=AppTransport(tight_app)) as client:
            client.grant_consent("C-1", "marketing")
            with pytest.raises(ApiError) as caught:
                client.grant_consent("C-1", "marketing")
        assert (caught.value.status, caught.value.code) == (429, "rate_limited")
        assert caught.value.retry_after is not None
        assert caught.value.retry_after >= 1

    def test_opt_in_retry_waits_and_succeeds(
        self, tight_app: TestClient, opened: Vault, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With Retry, the client waits as told and the retried call succeeds."""
        import time

        asked: list[float] = []
        real_sleep = time.sleep

        def sleep(seconds: float) -> None:
            asked.append(seconds)
            real_sleep(0.6)  # the bucket refills in 0.5 s; Retry-After rounds up to 1 s

        monkeypatch.setattr("privault.client.client.time.sleep", sleep)
        key = make_key(opened, "service")
        transport = AppTransport(tight_app)
        with Client(BASE_URL, key, transport=transport, retry=Retry(attempts=2)) as client:
            client.grant_consent("C-1", "marketing")
            assert client.withdraw_consent("C-1", "marketing").granted is False
        assert asked == [1.0]
