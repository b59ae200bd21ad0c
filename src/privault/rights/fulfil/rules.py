"""Pure rules of fulfilment: what the law makes the shop keep, which purposes an objection or
opt-out withdraws, what a rectification may change. No session, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from privault.datamap import DataMap, LegalBasis, Purpose, Retention
from privault.errors import InvalidInput

MAX_CHANGES = 100
MAX_PURPOSES = 64
# Objection (GDPR Art. 21) lies against processing on legitimate interests and for direct
# marketing (consent); processing a contract or the law requires is not objectionable.
OBJECTABLE = frozenset({LegalBasis.CONSENT, LegalBasis.LEGITIMATE_INTEREST})
# A legal-obligation field whose data map declares no retention (neither on the field nor on
# its collection) is kept this long: ten years, the longest common statutory period for
# commercial and tax records in the EU (e.g. Germany: HGB s. 257, AO s. 147). Nothing is kept
# without an end; declare the field's retention to keep it for less (docs/privacy-rights.md).
DEFAULT_LEGAL_RETENTION = Retention.parse("10y")
_PURPOSES_NAME_RECIPIENTS = "recipients" in Purpose.model_fields


@dataclass(frozen=True)
class RetainedField:
    """A field the law requires the shop to keep after an erasure, until ``retain_until``."""

    collection: str
    record_id: str
    field: str
    purposes: tuple[str, ...]
    retain_until: datetime
    reason: str
    legal_basis: str = LegalBasis.LEGAL_OBLIGATION.value


@dataclass(frozen=True)
class FieldChange:
    """A rectification of one record: new values (``None`` removes an optional field)."""

    collection: str
    record_id: str
    values: Mapping[str, str | None]


def recipients_of(purpose: Purpose) -> list[str]:
    """The recipients (vendors) a purpose declares; empty while the data map declares none."""
    # The data map has no recipients yet; read them when a purpose grows the attribute. Asked
    # once of the class: a missing attribute on a pydantic model raises, at ~50 us a time,
    # and this runs for every field of every record of an access package.
    if not _PURPOSES_NAME_RECIPIENTS:
        return []
    declared: Iterable[str] = getattr(purpose, "recipients", ()) or ()
    return sorted(str(name) for name in declared)


def legal_obligation_purposes(datamap: DataMap, *, handler_purpose: str) -> frozenset[str]:
    """Purposes whose basis is a legal obligation, except answering the requests themselves."""
    return frozenset(
        name
        for name, purpose in datamap.purposes.items()
        if purpose.basis is LegalBasis.LEGAL_OBLIGATION and name != handler_purpose
    )


def retained_fields(
    *,
    datamap: DataMap,
    handler_purpose: str,
    records: Iterable[tuple[str, str, datetime, Iterable[str]]],
    now: datetime,
) -> list[RetainedField]:
    """Fields an erasure must keep: served by a legal-obligation purpose, retention not over.

    ``records`` are (collection, record id, creation time, field names held). The period
    runs from the record's creation (when the invoice data was issued): the field's retention,
    else its collection's, else ``DEFAULT_LEGAL_RETENTION`` (the reason then says so).
    """
    obliged = legal_obligation_purposes(datamap, handler_purpose=handler_purpose)
    kept: list[RetainedField] = []
    for collection_name, record_id, created_at, held in records:
        collection = datamap.collection(collection_name)
        for name in sorted(held):
            spec = collection.fields.get(name)
            if spec is None:
                continue
            purposes = tuple(sorted(obliged.intersection(spec.purposes)))
            if not purposes:
                continue
            retention = spec.retention or collection.retention
            until = created_at + (retention or DEFAULT_LEGAL_RETENTION).period
            if until <= now:
                continue
            reasons = "; ".join(
                f"{p}: {datamap.purposes[p].description or 'legal obligation'}" for p in purposes
            )
            if retention is None:
                reasons += f" (no retention declared: default {DEFAULT_LEGAL_RETENTION})"
            kept.append(RetainedField(collection_name, record_id, name, purposes, until, reasons))
    return kept


def _purpose_names(purposes: object) -> list[str]:
    if not isinstance(purposes, Sequence) or isinstance(purposes, str | bytes):
        raise InvalidInput("purposes must be a list of names", code="invalid_purposes")
    if not purposes or len(purposes) > MAX_PURPOSES:
        raise InvalidInput(f"give 1 to {MAX_PURPOSES} purposes", code="invalid_purposes")
    return [str(name) if isinstance(name, str) else "" for name in purposes]


def objection_purposes(datamap: DataMap, purposes: object) -> list[str]:
    """The purposes an objection withdraws: named, declared, on consent or legitimate interest."""
    names = _purpose_names(purposes)
    for name in names:
        purpose = datamap.purposes.get(name)
        if purpose is None:
            raise InvalidInput(
                "an objection names a purpose the data map does not declare", code="unknown_purpose"
            )
        if purpose.basis not in OBJECTABLE:
            raise InvalidInput(
                f"purpose '{name}' rests on {purpose.basis.value}; an objection covers only "
                "consent and legitimate-interest purposes",
                code="purpose_not_objectable",
            )
    return sorted(set(names))


def opt_out_purposes(datamap: DataMap, purposes: object | None) -> list[str]:
    """The purposes an opt-out withdraws: the sale-or-share ones, or those named among them."""
    sale_or_share = sorted(n for n, p in datamap.purposes.items() if p.sale_or_share)
    if purposes is None:
        return sale_or_share
    names = _purpose_names(purposes)
    outside = sorted(set(names).difference(sale_or_share))
    if outside:
        raise InvalidInput(
            "an opt-out covers only purposes marked sale_or_share in the data map",
            code="purpose_not_sale_or_share",
        )
    return sorted(set(names))


def check_changes(changes: object) -> list[FieldChange]:
    """The rectification asked for: 1 to 100 records, each with at least one field."""
    if not isinstance(changes, Sequence) or isinstance(changes, str | bytes):
        raise InvalidInput("changes must be a list", code="invalid_changes")
    if not 1 <= len(changes) <= MAX_CHANGES:
        raise InvalidInput(
            f"a rectification names 1 to {MAX_CHANGES} records", code="invalid_changes"
        )
    checked: list[FieldChange] = []
    for change in changes:
        if not isinstance(change, FieldChange) or not change.values:
            raise InvalidInput(
                "each change names a record and at least one field", code="invalid_changes"
            )
        checked.append(change)
    return checked
