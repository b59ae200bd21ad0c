"""What retention takes from one record, decided without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privault.datamap import Retention, parse_datamap
from privault.retention import (
    CollectionRetention,
    Purge,
    PurgeStatus,
    collection_retentions,
    purge_for,
)

MADE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RULE = CollectionRetention(
    "orders",
    Retention.parse("1y"),
    {"ip_address": Retention.parse("90d"), "iban": Retention.parse("6m")},
)
ORDER = ("billing_address", "iban", "ip_address")


def plan(
    at: timedelta, fields: tuple[str, ...] = ORDER, rule: CollectionRetention = RULE
) -> Purge | None:
    """The purge of a record made at MADE, seen ``at`` later."""
    return purge_for(
        rule, record_id="rec_1", subject_id="C-1", created_at=MADE, updated_at=MADE,
        fields=fields, now=MADE + at,
    )  # fmt: skip


class TestPurgeFor:
    """Field periods, the collection period, and the moment of expiry."""

    def test_nothing_is_due_before_the_shortest_period(self) -> None:
        """One microsecond before 90 days, nothing goes."""
        assert plan(timedelta(days=90) - timedelta(microseconds=1)) is None

    def test_a_field_goes_the_moment_its_period_ends(self) -> None:
        """At exactly 90 days the IP address is due, with the date it expired."""
        purge = plan(timedelta(days=90))
        assert purge == Purge(
            "orders",
            "rec_1",
            "C-1",
            False,
            ("ip_address",),
            "orders.ip_address retention 90d expired on 2024-05-30",
        )

    def test_several_fields_are_named_with_their_reasons(self) -> None:
        """After six months both the IP address and the IBAN are due, in name order."""
        purge = plan(timedelta(days=200))
        assert purge is not None
        assert purge.fields == ("iban", "ip_address")
        assert purge.reason == (
            "orders.iban retention 6m expired on 2024-08-28; "
            "orders.ip_address retention 90d expired on 2024-05-30"
        )

    def test_fields_the_record_does_not_hold_are_not_planned(self) -> None:
        """A record without an IP address loses nothing at 90 days."""
        assert plan(timedelta(days=100), fields=("billing_address", "iban")) is None

    def test_the_collection_period_takes_the_whole_record(self) -> None:
        """After a year the whole record goes, whatever its fields' own periods."""
        purge = plan(timedelta(days=365))
        assert purge is not None
        assert (purge.whole, purge.fields) == (True, ORDER)
        assert purge.reason == "orders retention 1y expired on 2025-03-01"

    def test_a_record_whose_every_field_expired_goes_whole(self) -> None:
        """A record holding only expired fields is deleted rather than left empty."""
        purge = plan(timedelta(days=100), fields=("ip_address",))
        assert purge is not None
        assert purge.whole
        assert purge.reason.startswith("every field expired: orders.ip_address")

    def test_no_collection_period_keeps_the_record(self) -> None:
        """Without a collection retention only field periods apply, forever after."""
        rule = CollectionRetention("orders", None, {"ip_address": Retention.parse("90d")})
        purge = plan(timedelta(days=36500), rule=rule)
        assert purge is not None
        assert not purge.whole
        assert purge.fields == ("ip_address",)


def test_collection_counts_from_the_last_update_fields_from_creation() -> None:
    """Updated after 300 days, a record is not due at one year, but its IP address is."""
    purge = purge_for(
        RULE, record_id="rec_1", subject_id="C-1", created_at=MADE,
        updated_at=MADE + timedelta(days=300), fields=ORDER, now=MADE + timedelta(days=366),
    )  # fmt: skip
    assert purge is not None
    assert not purge.whole
    assert purge.fields == ("iban", "ip_address")


def test_line_is_tab_separated_and_names_no_customer() -> None:
    """A purge prints as status, action, collection, record, fields, reason; never the id."""
    purge = plan(timedelta(days=200))
    assert purge is not None
    line = purge.with_status(PurgeStatus.HELD).line()
    assert line.split("\t") == ["held", "drop", "orders", "rec_1", "iban,ip_address", purge.reason]
    assert "C-1" not in line


def test_collection_retentions_reads_the_data_map() -> None:
    """Collections with a retention on themselves or a field, with the shortest period."""
    datamap = parse_datamap(
        """
version: 1
regions: [eu]
purposes: {support: {basis: contract}}
collections:
  customers:
    retention: 3y
    fields:
      email: {type: email, category: user.contact.email, purposes: [support]}
      card: {type: card_number, category: user.financial, retention: 1y, purposes: [support]}
  notes:
    fields:
      text: {type: text, category: user, purposes: [support]}
  visits:
    fields:
      ip: {type: ip_address, category: user.device, retention: 30d, purposes: [support]}
"""
    )
    found = collection_retentions(datamap)
    assert [(r.collection, r.horizon.days) for r in found] == [("customers", 365), ("visits", 30)]
    assert found[0].record == Retention.parse("3y")
    assert set(found[0].fields) == {"card"}


@pytest.mark.parametrize("status", list(PurgeStatus))
def test_with_status_keeps_everything_else(status: PurgeStatus) -> None:
    """Changing the outcome changes nothing else."""
    purge = plan(timedelta(days=365))
    assert purge is not None
    changed = purge.with_status(status)
    assert (changed.status, changed.record_id, changed.reason) == (
        status,
        purge.record_id,
        purge.reason,
    )
