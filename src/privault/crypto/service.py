"""Key operations: status, rotation of a region's master key, retirement of old versions."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privault.common.clock import Clock, SystemClock
from privault.crypto import repository
from privault.crypto.keystore import KeyStore
from privault.crypto.models import SubjectKey
from privault.errors import Conflict

SessionScope = Callable[[], contextlib.AbstractContextManager[Session]]


@dataclass(frozen=True)
class KeyVersionStatus:
    """A master key version and how many customer keys it wraps."""

    region: str
    key_id: int
    created_at: datetime
    primary: bool
    customer_keys: int


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did."""

    region: str
    new_version: int
    rewrapped: int
    skipped: int


def status(*, db_session: Session, keys: KeyStore, regions: list[str]) -> list[KeyVersionStatus]:
    """Every master key version of every region, with the customer keys under it."""
    result: list[KeyVersionStatus] = []
    for region in regions:
        counts = repository.count_by_master_version(db_session=db_session, region=region)
        for version in keys.masters.versions(region):
            result.append(
                KeyVersionStatus(
                    region=region,
                    key_id=version.key_id,
                    created_at=version.created_at,
                    primary=version.primary,
                    customer_keys=counts.get(version.key_id, 0),
                )
            )
    return result


def _batches(
    sessions: SessionScope, *, region: str, version: int, batch: int
) -> Iterator[tuple[Session, list[SubjectKey]]]:
    while True:
        with sessions() as db_session:
            rows = next(
                repository.iter_not_under(
                    db_session=db_session, region=region, master_key_id=version, batch=batch
                ),
                [],
            )
            if not rows:
                return
            yield db_session, rows


def rewrap_region(
    *,
    sessions: SessionScope,
    keys: KeyStore,
    region: str,
    batch: int = 500,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Rewrap every customer key of a region under the primary version, a batch per transaction.

    Each batch commits on its own, so readers and writers go on between batches. A key that
    changed meanwhile (a customer erased, or rewrapped by a concurrent run) is skipped by the
    compare-and-set and counted. Returns (rewrapped, skipped).
    """
    clock = clock or SystemClock()
    primary = keys.masters.primary_version(region)
    rewrapped = skipped = 0
    for db_session, rows in _batches(sessions, region=region, version=primary, batch=batch):
        changes = []
        for row in rows:
            new_wrapped, version = keys.rewrap_subject_key(
                region=region,
                subject_id=row.subject_id,
                key_id=row.key_id,
                wrapped_key=row.wrapped_key,
            )
            changes.append((row.subject_id, bytes(row.wrapped_key), new_wrapped, version))
        changed = repository.replace_wrapped_keys(
            db_session=db_session, changes=changes, at=clock.now()
        )
        rewrapped += changed
        skipped += len(changes) - changed
        if progress is not None:
            progress(len(rows))
    return rewrapped, skipped


def rotate(
    *,
    sessions: SessionScope,
    keys: KeyStore,
    region: str,
    batch: int = 500,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
) -> RotationReport:
    """Add a new primary master key version to a region and rewrap every customer key under it."""
    new_version = keys.masters.add_version(region)
    rewrapped, skipped = rewrap_region(
        sessions=sessions, keys=keys, region=region, batch=batch, clock=clock, progress=progress
    )
    return RotationReport(region, new_version, rewrapped, skipped)


def retire(
    *,
    db_session: Session,
    keys: KeyStore,
    region: str,
    other_keys: Mapping[int, int] | None = None,
) -> list[int]:
    """Destroy every non-primary master key version that no customer key uses any more.

    Refuses while any customer key is still wrapped under an old version (finish or re-run the
    rotation first): retiring it would make those customers unreadable. ``other_keys`` counts
    keys of other domains wrapped per version (the retention keys of fields kept by law past
    an erasure), which hold a version in use just the same.
    """
    counts = dict(repository.count_by_master_version(db_session=db_session, region=region))
    for key_id, count in (other_keys or {}).items():
        counts[key_id] = counts.get(key_id, 0) + count
    old = [v for v in keys.masters.versions(region) if not v.primary]
    in_use = {v.key_id: counts[v.key_id] for v in old if counts.get(v.key_id)}
    if in_use:
        detail = ", ".join(f"{version}: {count}" for version, count in in_use.items())
        raise Conflict(
            f"old master key versions still wrap customer or retention keys ({detail}); run "
            "`privault keys rotate --resume` first",
            code="versions_in_use",
        )
    for version in old:
        keys.masters.remove_version(region, version.key_id)
    return [v.key_id for v in old]
