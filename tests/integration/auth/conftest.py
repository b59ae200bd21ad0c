"""Fixtures of the auth integration tests: cheap argon2, a clock the test moves, an app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.auth import Authenticator
from privault.config import AuthSettings, Settings
from privault.vault import Vault

# Test-only cost; the real floor is covered by tests/unit/auth/test_password_hasher.py.
CHEAP: dict[str, Any] = {
    "argon2_memory_kib": 64,
    "argon2_time_cost": 1,
    "argon2_allow_below_owasp": True,
}
PASSWORD = "violet canary trombone 7319 harbour"  # a canary: never in logs, bodies or events
EMAIL = "ada.lovelace@example.com"
ADDRESS = "198.51.100.7"


@dataclass
class MovableClock:
    """A clock that only moves when the test says so (forward only: audit times must rise)."""

    at: datetime = field(default_factory=lambda: datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC))

    def now(self) -> datetime:
        """The current test time."""
        return self.at

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.at += timedelta(**delta)


def with_auth(settings: Settings, **changes: Any) -> Settings:
    """The settings with auth options changed (cheap argon2 unless overridden)."""
    auth = AuthSettings(**{**CHEAP, **changes})
    return settings.model_copy(update={"auth": auth})


@pytest.fixture
def clock() -> MovableClock:
    """The test's clock."""
    return MovableClock()


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    """Settings of a fresh home with cheap hashing."""
    return with_auth(settings)


@pytest.fixture
def vault(auth_settings: Settings, clock: MovableClock) -> Iterator[Vault]:
    """The vault, on the test's clock."""
    with Vault.open(auth_settings, clock=clock) as opened:
        yield opened


@pytest.fixture
def auth(vault: Vault) -> Authenticator:
    """An Authenticator on the vault's keys, audit log and clock."""
    return Authenticator.from_keys(
        vault.settings.auth,
        derived=vault.keys.derived,
        audit=vault.audit,
        clock=vault.records.clock,
    )


@pytest.fixture
def client(auth_settings: Settings, vault: Vault) -> Iterator[TestClient]:
    """An HTTPS client of the app (the cookies are Secure)."""
    app = create_app(auth_settings, vault=vault)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
