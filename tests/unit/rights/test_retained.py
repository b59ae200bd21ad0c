"""Pure parts of retained fields: what is kept for how long, and the associated data that binds
keys and values to their place."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from privault.datamap import parse_datamap
from privault.rights.fulfil.certificate import erasure_certificate
from privault.rights.fulfil.rules import DEFAULT_LEGAL_RETENTION, retained_fields
from privault.rights.retained.rules import (
    instant,
    new_retention_key_id,
    value_context,
    wrap_context,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = NOW - timedelta(days=100)

NO_RETENTION = """
version: 1
regions: [eu]
default_region: eu
purposes:
  invoicing: {basis: legal_obligation}
  shipping: {basis: contract}
collections:
  invoices:
    fields:
      number: {type: text, category: system.operations, purposes: [invoicing]}
      note: {type: text, category: system.operations, purposes: [shipping]}
"""

CONTEXT: dict[str, Any] = {
    "retained_id": "ret_1",
    "erasure_id": "dsr_1",
    "subject_pseudonym": "ab" * 32,
    "collection": "orders",
    "record_id": "rec_1",
    "field": "iban",
    "legal_basis": "legal_obligation",
    "reason": "invoicing: tax",
    "retained_at": NOW,
    "retain_until": NOW + timedelta(days=730),
}


class TestHowLong:
    """retain_until: the field's retention, else the collection's, else a documented default."""

    def test_legal_field_without_retention_gets_the_default(self) -> None:
        """Ten years from the record's creation, and the reason says it is the default."""
        datamap = parse_datamap(NO_RETENTION)
        kept = retained_fields(
            datamap=datamap,
            handler_purpose="privacy_requests",
            records=[("invoices", "rec_1", CREATED, ["number", "note"])],
            now=NOW,
        )
        assert [k.field for k in kept] == ["number"]
        assert kept[0].retain_until == CREATED + timedelta(days=3650)
        assert DEFAULT_LEGAL_RETENTION.days == 3650
        assert kept[0].reason == "invoicing: legal obligation (no retention declared: default 10y)"
        assert kept[0].legal_basis == "legal_obligation"

    def test_period_runs_from_creation(self) -> None:
        """A record created long ago keeps its invoice data only what is left of the period."""
        datamap = parse_datamap(NO_RETENTION)
        old = NOW - timedelta(days=3650)
        kept = retained_fields(
            datamap=datamap,
            handler_purpose="privacy_requests",
            records=[("invoices", "rec_1", old, ["number"])],
            now=NOW,
        )
        assert kept == []


class TestBinding:
    """Associated data: every column, unambiguous, distinct from a customer key's."""

    @pytest.mark.parametrize("column", sorted(CONTEXT))
    def test_each_column_changes_the_context(self, column: str) -> None:
        """Change any one column and the associated data differs."""
        value = CONTEXT[column]
        changed = value + timedelta(microseconds=1) if isinstance(value, datetime) else f"{value}x"
        assert value_context(**{**CONTEXT, column: changed}) != value_context(**CONTEXT)

    def test_separators_in_text_cannot_shift_columns(self) -> None:
        """A reason holding a separator does not collide with a split one."""
        one = value_context(**{**CONTEXT, "reason": 'a","b'})
        two = value_context(**{**CONTEXT, "legal_basis": 'legal_obligation","a', "reason": "b"})
        assert one != two

    def test_time_zone_does_not_matter_but_naive_is_refused(self) -> None:
        """The same instant in another zone binds the same; a naive time is an error."""
        shifted = NOW.astimezone(datetime.now().astimezone().tzinfo)
        assert instant(shifted) == instant(NOW)
        with pytest.raises(ValueError, match="naive"):
            instant(NOW.replace(tzinfo=None))

    def test_wrap_context_names_region_retention_and_erasure(self) -> None:
        """Bound to region, the word retention, erasure and key; not a subject-key context."""
        context = wrap_context(region="eu", erasure_id="dsr_1", key_id="00" * 16)
        assert context.split(b"\x00")[1:4] == [b"eu", b"retention", b"dsr_1"]
        assert not context.startswith(b"privault/subject-key/")
        assert wrap_context(region="us", erasure_id="dsr_1", key_id="00" * 16) != context

    def test_key_ids_are_fresh_hex(self) -> None:
        """32 hex characters, never repeated."""
        ids = {new_retention_key_id() for _ in range(100)}
        assert len(ids) == 100
        assert all(len(bytes.fromhex(i)) == 16 for i in ids)


def test_certificate_says_kept() -> None:
    """Each listed field is marked kept, with its basis, reason and end date."""
    datamap = parse_datamap(NO_RETENTION)
    kept = retained_fields(
        datamap=datamap,
        handler_purpose="privacy_requests",
        records=[("invoices", "rec_1", CREATED, ["number"])],
        now=NOW,
    )
    request: Any = SimpleNamespace(
        id="dsr_1", type="erasure", regime="gdpr", received_at=NOW, subject_id="C-1"
    )
    body = erasure_certificate(
        request=request,
        subject_pseudonym="p",
        erased_at=NOW,
        records=[("invoices", "rec_1")],
        subject_key_id="k",
        retained=kept,
        access_packages=0,
        audit_event_id="evt_1",
    )
    (listed,) = body["legal_obligation_fields"]
    assert listed["kept"] is True
    assert listed["legal_basis"] == "legal_obligation"
    assert listed["retain_until"] == kept[0].retain_until.isoformat()
    assert dataclasses.asdict(kept[0])["reason"] == listed["reason"]
