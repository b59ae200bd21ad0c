"""One sweeper at a time: the lease, the scheduler, and a sweep that fails half-way."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from privault.audit import AuditLog
from privault.config import RetentionSettings
from privault.errors import Conflict, NotFound
from privault.retention import Lease, RetentionScheduler, sweep
from privault.vault import Vault

from .conftest import DAY, FrozenClock, run_sweep

TTL = timedelta(minutes=15)


def lease(vault: Vault, holder: str) -> Lease:
    """A sweep lease for ``holder`` on the vault's clock."""
    return Lease(sessions=vault.database.session, holder=holder, ttl=TTL, clock=vault.records.clock)


def test_only_one_holder_at_a_time(aged: Vault, clock: FrozenClock) -> None:
    """A second holder is refused while the first holds the lease, and gets it on release."""
    first, second = lease(aged, "a"), lease(aged, "b")
    assert first.try_acquire()
    assert first.try_acquire()  # renewing one's own lease
    assert not second.try_acquire()
    with pytest.raises(Conflict) as caught:
        second.acquire()
    assert "another retention sweep is running (a until" in caught.value.message
    first.release()
    assert second.try_acquire()


def test_a_lease_not_renewed_runs_out(aged: Vault, clock: FrozenClock) -> None:
    """A holder that died leaves a lease another process takes once it has run out."""
    first, second = lease(aged, "a"), lease(aged, "b")
    assert first.try_acquire()
    clock.advance(TTL - timedelta(seconds=1))
    assert not second.try_acquire()
    clock.advance(timedelta(seconds=1))
    assert second.try_acquire()
    with aged.session() as db_session, pytest.raises(Conflict):
        first.keep(db_session=db_session)


def test_a_sweep_that_lost_its_lease_commits_nothing(aged: Vault, clock: FrozenClock) -> None:
    """A sweeper whose lease another took stops before deleting anything."""
    record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
    stale = lease(aged, "a")
    assert stale.try_acquire()
    clock.advance(TTL + 90 * DAY)
    assert lease(aged, "b").try_acquire()
    with pytest.raises(Conflict):
        sweep(
            sessions=aged.database.session,
            datamap=aged.datamap,
            audit=aged.audit,
            now=clock.now(),
            actor="test",
            dry_run=False,
            lease=stale,
        )
    assert aged.get("orders", record_id).values == {"ip_address": "203.0.113.7"}


def test_a_real_sweep_needs_a_lease(aged: Vault) -> None:
    """Deleting without the lease is a programming error, refused before any work."""
    with pytest.raises(ValueError, match="lease"):
        sweep(
            sessions=aged.database.session,
            datamap=aged.datamap,
            audit=aged.audit,
            now=aged.records.clock.now(),
            actor="test",
            dry_run=False,
        )


def test_a_failure_mid_page_rolls_the_page_back(
    aged: Vault, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a purge's audit event cannot be written, no purge of that page is kept."""
    first = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
    second = aged.put("orders", "C-2", {"ip_address": "203.0.113.8"}).id
    clock.advance(90 * DAY)
    calls = []
    original = AuditLog.record

    def failing(self: AuditLog, **kwargs: object) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AuditLog, "record", failing)
    with pytest.raises(RuntimeError):
        run_sweep(aged)
    monkeypatch.setattr(AuditLog, "record", original)
    assert aged.get("orders", first).values
    assert aged.get("orders", second).values
    report = run_sweep(aged)
    assert len(report.purges) == 2
    for record_id in (first, second):
        with pytest.raises(NotFound):
            aged.get("orders", record_id)


class TestScheduler:
    """The scheduled sweep inside the server."""

    def test_tick_sweeps_when_the_lease_is_free(self, aged: Vault, clock: FrozenClock) -> None:
        """A tick with the lease free sweeps, and leaves the lease free afterwards."""
        record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
        clock.advance(90 * DAY)
        scheduler = RetentionScheduler(aged, RetentionSettings())
        report = scheduler.tick()
        assert report is not None
        assert len(report.purges) == 1
        with pytest.raises(NotFound):
            aged.get("orders", record_id)
        assert lease(aged, "other").try_acquire()

    def test_tick_skips_while_another_process_sweeps(self, aged: Vault, clock: FrozenClock) -> None:
        """While another process holds the lease, a tick does nothing."""
        record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
        clock.advance(90 * DAY)
        assert lease(aged, "other-process").try_acquire()
        assert RetentionScheduler(aged, RetentionSettings()).tick() is None
        assert aged.get("orders", record_id).values

    def test_the_thread_sweeps_and_stops(self, aged: Vault, clock: FrozenClock) -> None:
        """Started with no delay, the thread sweeps; stop() ends it."""
        record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
        clock.advance(90 * DAY)
        settings = RetentionSettings(start_delay_s=0, interval_s=0.05)
        scheduler = RetentionScheduler(aged, settings)
        scheduler.start()
        try:
            for _ in range(200):
                try:
                    aged.get("orders", record_id)
                except NotFound:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the scheduled sweep did not run")
        finally:
            scheduler.stop()
        assert not scheduler.running


def test_a_sweep_asked_to_stop_ends_between_pages(aged: Vault, clock: FrozenClock) -> None:
    """A server shutting down stops the sweep after the current page; the rest waits."""
    first = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
    clock.advance(DAY)
    second = aged.put("orders", "C-2", {"ip_address": "203.0.113.8"}).id
    clock.advance(90 * DAY)
    asked: list[int] = []
    own = lease(aged, "a")
    assert own.try_acquire()
    report = sweep(
        sessions=aged.database.session,
        datamap=aged.datamap,
        audit=aged.audit,
        now=clock.now(),
        actor="test",
        dry_run=False,
        lease=own,
        batch_size=1,
        progress=lambda _report: asked.append(1),
        should_stop=lambda: bool(asked),
    )
    assert not report.finished
    assert "stopped before the end" in report.summary()
    assert [p.record_id for p in report.purges] == [first]
    assert aged.get("orders", second).values
