"""Fixtures of the outgoing webhook tests: a frozen clock, endpoints, a request to move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from privault.config import Settings, WebhookEndpoint, WebhookSettings
from privault.rights import approve, complete, open_request, verify_identity
from privault.vault import Vault

from .homes import fresh_home, sqlite_template

__all__ = ["sqlite_template"]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "whsec-test-0123456789abcdef"
ACTOR = "operator:test"


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.moment

    def advance(self, seconds: float) -> None:
        """Move time on."""
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings for a new, initialised home (copied from the template on SQLite)."""
    return fresh_home(database_url, tmp_path, sqlite_template)


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still at T0 until a test moves it."""
    return FrozenClock(T0)


@pytest.fixture
def opened(settings: Settings, clock: FrozenClock) -> Iterator[Vault]:
    """An open vault on the frozen clock."""
    with Vault.open(settings, clock=clock) as vault:
        yield vault


def endpoint(url: str, name: str = "crm", events: list[str] | None = None) -> WebhookEndpoint:
    """A configured endpoint with the test secret."""
    return WebhookEndpoint(name=name, url=url, secret=SecretStr(SECRET), events=events or ["*"])


def webhook_settings(*endpoints: WebhookEndpoint, **overrides: object) -> WebhookSettings:
    """Webhook settings with no jitter surprises: base 10 s, cap 1 h, 3 attempts by default."""
    values: dict[str, object] = {
        "endpoints": list(endpoints),
        "max_attempts": 3,
        "backoff_base_s": 10.0,
        "backoff_max_s": 3600.0,
        "timeout_s": 5.0,
        "lease_s": 60.0,
    }
    values.update(overrides)
    return WebhookSettings.model_validate(values)


def erase_request(vault: Vault, subject: str = "C-1001", *, finish: bool = True) -> str:
    """An erasure request taken through every state (completed without fulfilment)."""
    at = vault.records.clock.now()
    with vault.session() as s:
        request = open_request(
            db_session=s,
            audit=vault.audit,
            subject_id=subject,
            request_type="erasure",
            regime="gdpr",
            at=at,
            actor=ACTOR,
        ).request
        verify_identity(
            db_session=s,
            audit=vault.audit,
            request_id=request.id,
            method="operator",
            reason="ID checked at the counter",
            at=at,
            actor=ACTOR,
        )
        approve(db_session=s, audit=vault.audit, request_id=request.id, at=at, actor=ACTOR)
        if finish:
            complete(db_session=s, audit=vault.audit, request_id=request.id, at=at, actor=ACTOR)
        return request.id
