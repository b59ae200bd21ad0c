"""Retention: delete data past its data-map retention, except what a legal hold keeps.

The sweep (``privault retention run``, and on a schedule in ``privault serve``) deletes whole
records whose collection's retention is over and removes single fields whose own retention is
over; ``--dry-run`` lists exactly the same purges. ``active_hold`` tells other domains (the
erasure of a customer) whether a customer's data is under a legal hold.
"""

from __future__ import annotations

from privault.retention.holds import (
    PlacedHold,
    active_hold,
    list_holds,
    place_hold,
    release_hold,
)
from privault.retention.lease import Lease, new_holder
from privault.retention.models import LegalHold, SweepLease
from privault.retention.rules import (
    CollectionRetention,
    Purge,
    PurgeStatus,
    collection_retentions,
    purge_for,
)
from privault.retention.scheduler import RetentionScheduler
from privault.retention.service import SweepReport, sweep

__all__ = [
    "CollectionRetention",
    "Lease",
    "LegalHold",
    "PlacedHold",
    "Purge",
    "PurgeStatus",
    "RetentionScheduler",
    "SweepLease",
    "SweepReport",
    "active_hold",
    "collection_retentions",
    "list_holds",
    "new_holder",
    "place_hold",
    "purge_for",
    "release_hold",
    "sweep",
]
