"""What the data map's retention periods say must go, and why. Pure: no session, no I/O.

A record's age is counted from its creation, for the collection's period and for each field's
alike (privault keeps no write time per field): an update does not restart it. When the
collection's period is over the whole record goes; otherwise each field whose own period is
over goes, and a record left with no field goes whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from privault.datamap import DataMap, Retention

__all__ = ["CollectionRetention", "Purge", "PurgeStatus", "collection_retentions", "purge_for"]


class PurgeStatus(StrEnum):
    """What became of a planned purge."""

    PURGE = "purge"  # due, and done (or, in a dry run, would be done)
    HELD = "held"  # due, but the customer is under a legal hold: kept
    CHANGED = "changed"  # due, but the record changed or went while the sweep ran: next sweep


@dataclass(frozen=True)
class CollectionRetention:
    """The retention periods of one collection: of the whole record and of single fields."""

    collection: str
    record: Retention | None
    fields: dict[str, Retention]

    @property
    def horizon(self) -> timedelta:
        """The shortest period: a record younger than this has nothing to lose."""
        periods = [r.period for r in (self.record, *self.fields.values()) if r is not None]
        return min(periods)


def collection_retentions(datamap: DataMap) -> list[CollectionRetention]:
    """Each collection that declares a retention (on itself or a field), by name."""
    found: list[CollectionRetention] = []
    for name in sorted(datamap.collections):
        collection = datamap.collections[name]
        fields = {f: spec.retention for f, spec in collection.fields.items() if spec.retention}
        if collection.retention is not None or fields:
            found.append(CollectionRetention(name, collection.retention, fields))
    return found


@dataclass(frozen=True)
class Purge:
    """One record to delete (``whole``) or to strip of ``fields``, and the reason.

    ``subject_id`` is kept for the hold check and the audit pseudonym; it is never printed.
    """

    collection: str
    record_id: str
    subject_id: str
    whole: bool
    fields: tuple[str, ...]
    reason: str
    status: PurgeStatus = PurgeStatus.PURGE

    def with_status(self, status: PurgeStatus) -> Purge:
        """The same purge, with another outcome."""
        return replace(self, status=status)

    def line(self) -> str:
        """The purge as one tab-separated line: status, action, collection, record, fields,
        reason (names and dates only, never a value or a customer id)."""
        action = "delete" if self.whole else "drop"
        return "\t".join(
            (
                self.status.value,
                action,
                self.collection,
                self.record_id,
                ",".join(self.fields),
                self.reason,
            )
        )


def _expired(what: str, retention: Retention, since: datetime) -> str:
    return f"{what} retention {retention} expired on {(since + retention.period).date()}"


def purge_for(
    rule: CollectionRetention,
    *,
    record_id: str,
    subject_id: str,
    created_at: datetime,
    updated_at: datetime,
    fields: Sequence[str],
    now: datetime,
) -> Purge | None:
    """What retention takes at ``now`` from a record made at ``created_at``, last updated at
    ``updated_at`` and holding ``fields``; None when nothing is due.

    The collection's retention runs from the last update, each field's from the record's
    creation (no per-field write time is kept, so a field rewritten later goes early rather
    than late).
    """

    def due(retention: Retention, since: datetime) -> bool:
        return since + retention.period <= now

    held = tuple(sorted(fields))
    if rule.record is not None and due(rule.record, updated_at):
        reason = _expired(rule.collection, rule.record, updated_at)
        return Purge(rule.collection, record_id, subject_id, True, held, reason)
    gone = [name for name in held if name in rule.fields and due(rule.fields[name], created_at)]
    if not gone:
        return None
    reasons = "; ".join(
        _expired(f"{rule.collection}.{name}", rule.fields[name], created_at) for name in gone
    )
    if len(gone) == len(held):
        return Purge(
            rule.collection, record_id, subject_id, True, held, f"every field expired: {reasons}"
        )
    return Purge(rule.collection, record_id, subject_id, False, tuple(gone), reasons)
