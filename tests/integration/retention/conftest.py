"""Fixtures of the retention tests: a vault on a clock the test moves, and records to age."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from privault.config import Settings
from privault.retention import Lease, SweepReport, sweep
from privault.vault import Vault

T0 = datetime(2024, 1, 10, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.moment

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.moment += delta


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still at T0 until a test moves it."""
    return FrozenClock(T0)


@pytest.fixture
def aged(settings: Settings, clock: FrozenClock) -> Iterator[Vault]:
    """The vault on the frozen clock."""
    with Vault.open(settings, clock=clock) as vault:
        yield vault


def run_sweep(vault: Vault, *, dry_run: bool = False, batch_size: int = 500) -> SweepReport:
    """One sweep at the vault clock's time, holding the lease as the CLI does."""
    lease = Lease(
        sessions=vault.database.session,
        holder="test-sweeper",
        ttl=timedelta(minutes=15),
        clock=vault.records.clock,
    )
    if not dry_run:
        lease.acquire()
    try:
        return sweep(
            sessions=vault.database.read_session if dry_run else vault.database.session,
            datamap=vault.datamap,
            audit=vault.audit,
            now=vault.records.clock.now(),
            actor="test",
            dry_run=dry_run,
            lease=None if dry_run else lease,
            batch_size=batch_size,
        )
    finally:
        if not dry_run:
            lease.release()
