"""Every way of erasing a customer obeys the same law, on SQLite and PostgreSQL: a legal hold stops
a customer's request and an operator's `privault erase` alike (nothing is shredded), an
operator's erasure keeps legal-obligation fields and leaves a completed request with its
certificate, and the retention sweep purges kept fields once their own retention is over."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from privault.cli.main import run
from privault.config import Settings
from privault.crypto import service as key_service
from privault.errors import Conflict
from privault.retention import Lease, new_holder, place_hold, sweep
from privault.rights import retained_purger, retention_key_versions
from privault.rights.fulfil import (
    Fulfiller,
    complete_request,
    erase_directly,
    verify_certificate,
)
from privault.rights.retained import list_retained, reveal_retained
from privault.vault import RecordCreate, Vault

from .fulfilment import started

T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)
SUBJECT = "C-1001"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def opened(settings: Settings, clock: Clock) -> Iterator[Vault]:
    """A vault holding a customer with an account and an order (its billing address is kept
    ten years for invoicing)."""
    with Vault.open(settings, clock=clock) as vault:
        vault.put_many(
            [
                RecordCreate("customers", SUBJECT, {"email": "ada@example.com", "name": "Ada"}),
                RecordCreate("orders", SUBJECT, {"billing_address": "1 Main St, Springfield"}),
            ]
        )
        yield vault


def hold(vault: Vault) -> None:
    with vault.session() as db_session:
        place_hold(
            db_session=db_session, audit=vault.audit, subject_id=SUBJECT,
            reason="litigation case 2025-17", at=T0, actor="operator:test",
        )  # fmt: skip


def stored(vault: Vault) -> int:
    return len(vault.export_subject(SUBJECT).records)


def test_a_hold_stops_a_customers_request(opened: Vault) -> None:
    hold(opened)
    request_id = started(opened, "erasure")
    fulfiller = Fulfiller.of(opened)
    with opened.session() as db_session, pytest.raises(Conflict) as refused:
        complete_request(db_session=db_session, fulfiller=fulfiller, request_id=request_id,
                         at=T0, actor="operator:test")  # fmt: skip
    assert refused.value.code == "legal_hold"
    assert stored(opened) == 2  # nothing shredded


def test_a_hold_stops_privault_erase(
    opened: Vault, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    hold(opened)
    status = run(["erase", "--subject", SUBJECT, "--yes"])
    captured = capsys.readouterr()
    assert status != 0
    assert "legal hold" in captured.err
    assert stored(opened) == 2


def test_privault_erase_keeps_what_the_law_requires(
    opened: Vault, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    capsys.readouterr()
    status = run(
        ["erase", "--subject", SUBJECT, "--yes", "--reason", "account closed, ticket 4411"]
    )
    printed = json.loads(capsys.readouterr().out)
    assert status == 0
    assert printed["records_deleted"] == 2
    assert printed["request_id"].startswith("dsr_")
    kept = {
        entry["field"] for entry in printed["certificate"]["certificate"]["legal_obligation_fields"]
    }
    assert "billing_address" in kept
    assert printed["retained_fields"] == len(
        printed["certificate"]["certificate"]["legal_obligation_fields"]
    )
    assert verify_certificate(printed["certificate"], opened.keys.audit_signing_key().public_key())


def test_the_sweep_purges_kept_fields_when_their_time_is_over(opened: Vault, clock: Clock) -> None:
    with opened.session() as db_session:
        erase_directly(
            db_session=db_session, fulfiller=Fulfiller.of(opened), subject_id=SUBJECT,
            regime="gdpr", at=T0, actor="operator:test", reason="account closed",
        )  # fmt: skip
    with opened.session() as db_session:
        kept = list_retained(db_session=db_session)
    assert kept
    last = max(row.retain_until for row in kept)

    def run_sweep(dry_run: bool) -> int:
        lease = Lease(sessions=opened.session, holder=new_holder("test"),
                      ttl=timedelta(minutes=5), clock=clock)  # fmt: skip
        lease.acquire()
        try:
            return sweep(
                sessions=opened.session, datamap=opened.datamap, audit=opened.audit,
                now=clock.now(), actor="test", dry_run=dry_run, lease=lease,
                also=retained_purger(opened),
            ).retained  # fmt: skip
        finally:
            lease.release()

    assert run_sweep(False) == 0  # nothing is due yet
    clock.moment = last + timedelta(seconds=1)
    assert run_sweep(True) == len(kept)  # the dry run says how many
    assert run_sweep(False) == len(kept)
    with opened.session() as db_session:
        assert list_retained(db_session=db_session) == []


def test_key_rotation_carries_kept_fields_and_retire_guards_them(
    opened: Vault, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`keys rotate` rewraps retention keys too, so `keys retire` afterwards loses nothing; a
    rotation that left them behind (the library's customer-key rotation alone) makes retire
    refuse rather than destroy the version they need."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    with opened.session() as db_session:
        erase_directly(
            db_session=db_session, fulfiller=Fulfiller.of(opened), subject_id=SUBJECT,
            regime="gdpr", at=T0, actor="operator:test", reason="account closed",
        )  # fmt: skip
    region = next(iter(opened.datamap.regions))
    key_service.rotate(sessions=opened.session, keys=opened.keys, region=region)
    with opened.session() as db_session, pytest.raises(Conflict) as refused:
        key_service.retire(
            db_session=db_session, keys=opened.keys, region=region,
            other_keys=retention_key_versions(db_session=db_session, region=region),
        )  # fmt: skip
    assert refused.value.code == "versions_in_use"

    assert run(["keys", "rotate"]) == 0
    assert run(["keys", "retire"]) == 0
    capsys.readouterr()
    with Vault.open(settings, clock=Clock()) as reopened, reopened.session() as db_session:
        (kept,) = [r for r in list_retained(db_session=db_session) if r.field == "billing_address"]
        value = reveal_retained(
            db_session=db_session, keys=reopened.keys, audit=reopened.audit,
            retained_id=kept.id, actor="operator:test", at=T0,
        )  # fmt: skip
    assert value == "1 Main St, Springfield"
