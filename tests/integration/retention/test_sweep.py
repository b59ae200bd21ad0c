"""The retention sweep on SQLite and PostgreSQL: what is past its retention goes, held data
stays, and the dry run lists exactly what the real run does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from privault.audit.models import AuditEvent
from privault.errors import NotFound
from privault.retention import PurgeStatus, place_hold, release_hold
from privault.vault import Vault, expiry

from .conftest import DAY, FrozenClock, run_sweep

CARD = "4111111111111111"
YEAR = 365 * DAY


def customer(vault: Vault, subject_id: str, **extra: str) -> str:
    """Store a customer record (email, name, card); its id."""
    values = {"email": f"{subject_id.lower()}@example.com", "name": "Ada Lovelace", "card": CARD}
    return vault.put("customers", subject_id, {**values, **extra}).id


def hold(vault: Vault, subject_id: str) -> None:
    """Place a legal hold on a customer."""
    with vault.session() as db_session:
        place_hold(
            db_session=db_session,
            audit=vault.audit,
            subject_id=subject_id,
            reason="case 2024-17 (tax audit)",
            at=vault.records.clock.now(),
            actor="test",
        )


class TestFieldRetention:
    """A field past its own retention leaves the record, with its tokens and lookups."""

    def test_nothing_goes_before_the_period_ends(self, aged: Vault, clock: FrozenClock) -> None:
        """A day before a card's one-year retention ends, the sweep plans nothing."""
        record_id = customer(aged, "C-1")
        clock.advance(YEAR - DAY)
        report = run_sweep(aged)
        assert report.purges == []
        assert set(aged.get("customers", record_id).values) == {"email", "name", "card"}

    def test_expired_field_is_removed_and_its_token_stops_resolving(
        self, aged: Vault, clock: FrozenClock
    ) -> None:
        """After a year the card goes (its card token too); email and name stay usable."""
        stored = aged.put(
            "customers", "C-1", {"email": "c-1@example.com", "name": "Ada", "card": CARD}
        )
        card_token, email_token = stored.tokens["card"], stored.tokens["email"]
        clock.advance(YEAR)
        report = run_sweep(aged)
        assert [(p.status, p.whole, p.fields) for p in report.purges] == [
            (PurgeStatus.PURGE, False, ("card",))
        ]
        assert report.purges[0].reason == "customers.card retention 1y expired on 2025-01-09"
        read = aged.get("customers", stored.id)
        assert read.values == {"email": "c-1@example.com", "name": "Ada"}
        assert "card" not in read.stored_tokens
        with pytest.raises(NotFound):
            aged.detokenize(card_token)
        assert aged.detokenize(email_token) == "c-1@example.com"
        assert [m.record_id for m in aged.search("customers", "email", "c-1@example.com")] == [
            stored.id
        ]

    def test_a_record_left_with_no_field_is_deleted(self, aged: Vault, clock: FrozenClock) -> None:
        """An order holding only its 90-day IP address is deleted whole after 90 days."""
        record_id = aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id
        clock.advance(90 * DAY)
        report = run_sweep(aged)
        assert [(p.whole, p.fields) for p in report.purges] == [(True, ("ip_address",))]
        assert report.purges[0].reason.startswith("every field expired: orders.ip_address")
        with pytest.raises(NotFound):
            aged.get("orders", record_id)

    def test_periods_run_from_creation_not_from_updates(
        self, aged: Vault, clock: FrozenClock
    ) -> None:
        """An update does not restart the count: a card rewritten after 300 days still goes
        one year after the record was made."""
        record_id = customer(aged, "C-1")
        clock.advance(300 * DAY)
        aged.update("customers", record_id, {"card": "5555555555554444"})
        clock.advance(65 * DAY - DAY)
        assert run_sweep(aged).purges == []
        clock.advance(DAY)
        report = run_sweep(aged)
        assert [p.fields for p in report.purges] == [("card",)]
        assert report.purges[0].reason == "customers.card retention 1y expired on 2025-01-09"

    def test_removing_a_field_is_a_new_version(self, aged: Vault, clock: FrozenClock) -> None:
        """The sweep's change moves the version on (other writers see it) but is not an
        update: the record still goes three years after its last update by a writer."""
        record_id = customer(aged, "C-1")
        before = aged.get("customers", record_id)
        clock.advance(YEAR)
        run_sweep(aged)
        after = aged.get("customers", record_id)
        assert (after.version, after.updated_at) == (before.version + 1, before.updated_at)
        assert after.created_at == before.created_at
        clock.advance(2 * YEAR)
        assert [p.whole for p in run_sweep(aged).purges] == [True]

    def test_an_update_restarts_the_collection_period(
        self, aged: Vault, clock: FrozenClock
    ) -> None:
        """An active customer's record is kept: the collection's three years run from the
        last update, so a change after two years keeps it until five."""
        record_id = customer(aged, "C-1")
        clock.advance(2 * YEAR)
        aged.update("customers", record_id, {"name": "Ada L."})
        clock.advance(YEAR + DAY)
        assert all(not p.whole for p in run_sweep(aged).purges)
        assert aged.get("customers", record_id).id == record_id
        clock.advance(2 * YEAR)
        report = run_sweep(aged)
        assert [p.whole for p in report.purges] == [True]
        assert report.purges[0].reason.startswith("customers retention 3y expired on ")

    def test_a_record_changed_meanwhile_is_left_alone(self, aged: Vault) -> None:
        """Dropping fields from a record no longer at the version read changes nothing."""
        record_id = customer(aged, "C-1")
        with aged.session() as db_session:
            assert not expiry.drop_fields(
                db_session=db_session,
                record_id=record_id,
                fields=["card"],
                expected_version=7,
            )
        assert "card" in aged.get("customers", record_id).values


class TestRecordRetention:
    """A record past its collection's retention is deleted with every token."""

    def test_expired_record_is_gone(self, aged: Vault, clock: FrozenClock) -> None:
        """Three years on, the customer record, its search index and its tokens are gone."""
        stored = aged.put("customers", "C-1", {"email": "c-1@example.com", "name": "Ada"})
        clock.advance(3 * YEAR)
        report = run_sweep(aged)
        assert [(p.whole, p.reason) for p in report.purges] == [
            (True, "customers retention 3y expired on 2027-01-09")
        ]
        with pytest.raises(NotFound):
            aged.get("customers", stored.id)
        for token in stored.tokens.values():
            with pytest.raises(NotFound):
                aged.detokenize(token)
        assert aged.search("customers", "email", "c-1@example.com") == []

    def test_young_records_stay(self, aged: Vault, clock: FrozenClock) -> None:
        """Only the record old enough goes; one made later stays."""
        old = customer(aged, "C-1")
        clock.advance(2 * YEAR)
        young = aged.put("customers", "C-2", {"email": "c-2@example.com"}).id
        clock.advance(YEAR)
        run_sweep(aged)
        with pytest.raises(NotFound):
            aged.get("customers", old)
        assert aged.get("customers", young).values == {"email": "c-2@example.com"}

    def test_the_customer_key_stays_when_the_last_record_goes(
        self, aged: Vault, clock: FrozenClock
    ) -> None:
        """Retention deletes records, not customers: new data is stored under the same key."""
        customer(aged, "C-1")
        clock.advance(3 * YEAR)
        run_sweep(aged)
        assert aged.export_subject("C-1").records == []
        aged.put("customers", "C-1", {"email": "c-1@example.com"})
        assert len(aged.export_subject("C-1").records) == 1


class TestLegalHolds:
    """Held customers' data is kept, and goes at the first sweep after the hold is removed."""

    def test_held_data_stays(self, aged: Vault, clock: FrozenClock) -> None:
        """The held customer's record is reported held and kept; the other one goes."""
        held = customer(aged, "C-1")
        other = customer(aged, "C-2")
        hold(aged, "C-1")
        clock.advance(3 * YEAR)
        report = run_sweep(aged)
        statuses = {p.record_id: p.status for p in report.purges}
        assert statuses == {held: PurgeStatus.HELD, other: PurgeStatus.PURGE}
        assert aged.get("customers", held).values["card"] == CARD
        with pytest.raises(NotFound):
            aged.get("customers", other)

    def test_data_goes_after_the_hold_is_removed(self, aged: Vault, clock: FrozenClock) -> None:
        """Removing the hold lets the next sweep delete what is past its retention."""
        record_id = customer(aged, "C-1")
        hold(aged, "C-1")
        clock.advance(3 * YEAR)
        run_sweep(aged)
        with aged.session() as db_session:
            release_hold(db_session=db_session, audit=aged.audit, subject_id="C-1", actor="t")
        report = run_sweep(aged)
        assert [p.status for p in report.purges] == [PurgeStatus.PURGE]
        with pytest.raises(NotFound):
            aged.get("customers", record_id)


def _populate(vault: Vault, clock: FrozenClock) -> None:
    """Customers and orders of different ages, one customer held."""
    for number in range(6):
        customer(vault, f"C-{number}")
        vault.put(
            "orders",
            f"C-{number}",
            {
                "billing_address": "1 Main St, Springfield",
                "shipping_address": "2 Side St, Springfield",
                "ip_address": "198.51.100.9",
                "iban": "DE89370400440532013000",
            },
        )
        clock.advance(200 * DAY)
    hold(vault, "C-2")


def test_dry_run_predicts_the_sweep_exactly(aged: Vault, clock: FrozenClock) -> None:
    """The dry run lists the same purges, in the same order, as the real run that follows;
    it changes nothing, and after the sweep only held data is still due."""
    _populate(aged, clock)
    with aged.session() as db_session:
        before = db_session.scalar(
            select(AuditEvent.leaf_index).order_by(AuditEvent.leaf_index.desc())
        )
    planned = run_sweep(aged, dry_run=True, batch_size=2)
    assert {p.status for p in planned.purges} == {PurgeStatus.PURGE, PurgeStatus.HELD}
    assert {p.whole for p in planned.purges} == {True, False}
    again = run_sweep(aged, dry_run=True, batch_size=3)
    assert [p.line() for p in again.purges] == [p.line() for p in planned.purges]
    with aged.session() as db_session:
        after = db_session.scalar(
            select(AuditEvent.leaf_index).order_by(AuditEvent.leaf_index.desc())
        )
    assert after == before  # a dry run writes nothing, not even to the audit log

    done = run_sweep(aged, batch_size=2)
    assert [p.line() for p in done.purges] == [p.line() for p in planned.purges]
    for purge in done.purges:
        if purge.status is PurgeStatus.HELD or not purge.whole:
            stored = aged.get(purge.collection, purge.record_id).values
            assert purge.status is PurgeStatus.HELD or not set(purge.fields) & set(stored)
        else:
            with pytest.raises(NotFound):
                aged.get(purge.collection, purge.record_id)
    leftover = run_sweep(aged, dry_run=True)
    assert leftover.purges == [p for p in planned.purges if p.status is PurgeStatus.HELD]


def test_each_purge_is_audited_without_data(aged: Vault, clock: FrozenClock) -> None:
    """One audit event per purge and one per sweep: field names, record id and reason; the
    customer only by pseudonym, no value anywhere."""
    stored = aged.put("customers", "C-77", {"email": "c-77@example.com", "card": CARD})
    clock.advance(YEAR)
    run_sweep(aged)
    with aged.session() as db_session:
        events = list(
            db_session.scalars(select(AuditEvent).where(AuditEvent.operation.like("retention.%")))
        )
        texts = [
            " ".join(str(getattr(e, c)) for c in ("actor", "subject", "detail", "fields_requested"))
            for e in events
        ]
    assert [e.operation for e in events] == ["retention.purge", "retention.sweep"]
    purge = events[0]
    assert purge.fields_requested == '["card"]'
    assert purge.subject == aged.audit.pseudonym("C-77")
    assert stored.id in (purge.detail or "")
    for text in texts:
        assert "C-77" not in text
        assert "c-77@example.com" not in text
        assert CARD not in text
