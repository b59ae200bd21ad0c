"""The scheduled sweep runs inside the server's lifespan, and only when enabled."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.config import RetentionSettings, Settings
from privault.errors import NotFound
from privault.vault import Vault

from .conftest import DAY, FrozenClock


def _sweeping() -> bool:
    return any(t.name == "privault-retention" for t in threading.enumerate())


def test_the_server_sweeps_on_schedule(settings: Settings, aged: Vault, clock: FrozenClock) -> None:
    """With the sweep enabled, expired data goes while the server runs; the thread stops
    with the server."""
    record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
    clock.advance(90 * DAY)
    configured = settings.model_copy(
        update={"retention": RetentionSettings(start_delay_s=0, interval_s=0.05)}
    )
    with TestClient(create_app(configured, vault=aged)):
        assert _sweeping()
        for _ in range(200):
            try:
                aged.get("orders", record_id)
            except NotFound:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the server did not sweep")
    assert not _sweeping()


def test_a_disabled_sweep_does_not_start(settings: Settings, aged: Vault) -> None:
    """`retention.enabled = false` runs no sweeper in the server."""
    configured = settings.model_copy(update={"retention": RetentionSettings(enabled=False)})
    with TestClient(create_app(configured, vault=aged)) as client:
        assert client.get("/health").status_code == 200
        assert not _sweeping()
