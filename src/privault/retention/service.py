"""The retention sweep: plan what the data map's retention periods take, and take it.

The dry run and the real run are the same loop: page through each collection's records by
age, plan each record's purge with :func:`rules.purge_for`, mark held customers, and (real run
only) apply the page's purges with one audit event each, in one transaction per page. So the
dry run lists exactly what a real run at the same moment does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.datamap import DataMap
from privault.retention import repository
from privault.retention.lease import Lease
from privault.retention.rules import (
    CollectionRetention,
    Purge,
    PurgeStatus,
    collection_retentions,
    purge_for,
)
from privault.vault import expiry

__all__ = ["SweepReport", "sweep"]

logger = logging.getLogger("privault.retention")
SessionScope = Callable[[], AbstractContextManager[Session]]
DEFAULT_BATCH = 500


@dataclass
class SweepReport:
    """What a sweep found due at ``at``, and what became of each purge."""

    at: datetime
    dry_run: bool
    purges: list[Purge] = field(default_factory=list)
    examined: int = 0
    finished: bool = True
    retained: int = 0  # fields kept by law past an erasure whose own retention ended

    def count(self, status: PurgeStatus, *, whole: bool | None = None) -> int:
        """How many purges ended in ``status`` (only whole-record or only field ones)."""
        return sum(
            1 for p in self.purges if p.status is status and (whole is None or p.whole is whole)
        )

    def summary(self) -> str:
        """One line for people: what went (or would go), what was held."""
        deleted = self.count(PurgeStatus.PURGE, whole=True)
        stripped = self.count(PurgeStatus.PURGE, whole=False)
        held = self.count(PurgeStatus.HELD)
        changed = self.count(PurgeStatus.CHANGED)
        verb = "would delete" if self.dry_run else "deleted"
        text = (
            f"{'dry run: ' if self.dry_run else ''}examined {self.examined} records; "
            f"{verb} {deleted} records, {'would remove' if self.dry_run else 'removed'} "
            f"fields from {stripped}; {held} held by a legal hold"
        )
        if changed:
            text += f"; {changed} changed meanwhile (left for the next sweep)"
        if self.retained:
            verb = "would purge" if self.dry_run else "purged"
            text += f"; {verb} {self.retained} fields kept by law whose retention ended"
        if not self.finished:
            text += "; stopped before the end"
        return text


def _apply(
    purge: Purge,
    *,
    db_session: Session,
    audit: AuditLog,
    actor: str,
    version: int,
) -> Purge:
    if purge.whole:
        done = expiry.delete_record(
            db_session=db_session, collection=purge.collection, record_id=purge.record_id
        )
    else:
        done = expiry.drop_fields(
            db_session=db_session,
            record_id=purge.record_id,
            fields=purge.fields,
            expected_version=version,
        )
    if not done:
        return purge.with_status(PurgeStatus.CHANGED)
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="retention.purge",
            collection=purge.collection,
            fields_requested=list(purge.fields),
            subject_id=purge.subject_id,
            detail={
                "record": purge.record_id,
                "scope": "record" if purge.whole else "fields",
                "reason": purge.reason,
            },
        ),
    )
    return purge


def _sweep_page(
    rule: CollectionRetention,
    *,
    db_session: Session,
    page: list[expiry.AgingRecord],
    now: datetime,
    dry_run: bool,
    audit: AuditLog,
    actor: str,
) -> list[Purge]:
    planned = [
        (record, purge)
        for record in page
        if (
            purge := purge_for(
                rule,
                record_id=record.id,
                subject_id=record.subject_id,
                created_at=record.created_at,
                updated_at=record.updated_at,
                fields=record.fields,
                now=now,
            )
        )
        is not None
    ]
    subjects = [purge.subject_id for _, purge in planned]
    if not dry_run:
        # A hold placed now waits for this transaction, or is seen below (see place_hold).
        repository.lock_subjects(db_session=db_session, subject_ids=subjects)
    held = repository.held_among(db_session=db_session, subject_ids=subjects)
    results: list[Purge] = []
    for record, purge in planned:
        if purge.subject_id in held:
            results.append(purge.with_status(PurgeStatus.HELD))
        elif dry_run:
            results.append(purge)
        else:
            results.append(
                _apply(
                    purge,
                    db_session=db_session,
                    audit=audit,
                    actor=actor,
                    version=record.version,
                )
            )
    return results


def sweep(
    *,
    sessions: SessionScope,
    datamap: DataMap,
    audit: AuditLog,
    now: datetime,
    actor: str,
    dry_run: bool,
    lease: Lease | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[SweepReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    also: Callable[[Session, datetime, bool], int] | None = None,
) -> SweepReport:
    """Delete (or, with ``dry_run``, list) what is past its retention at ``now``.

    A real run needs ``lease``, held by the caller: each page's transaction renews it first,
    and a page commits only while the lease is ours. ``progress`` is called after each page;
    ``should_stop`` is asked between pages (a server shutting down). ``also(db_session, now,
    dry_run)`` runs once after the records, in a transaction of its own, and returns how many
    further items it purged (the rights domain's fields kept by law past an erasure).
    """
    if not dry_run and lease is None:
        raise ValueError("a real sweep needs the sweep lease")
    report = SweepReport(at=now, dry_run=dry_run)
    for rule in collection_retentions(datamap):
        cutoff = now - rule.horizon
        after: tuple[datetime, str] | None = None
        while True:
            if should_stop is not None and should_stop():
                report.finished = False
                return _finish(report, sessions=sessions, audit=audit, actor=actor)
            with sessions() as db_session:
                if lease is not None and not dry_run:
                    lease.keep(db_session=db_session)
                page = expiry.aging_records(
                    db_session=db_session,
                    collection=rule.collection,
                    created_before=cutoff,
                    after=after,
                    limit=batch_size,
                )
                report.purges += _sweep_page(
                    rule,
                    db_session=db_session,
                    page=page,
                    now=now,
                    dry_run=dry_run,
                    audit=audit,
                    actor=actor,
                )
            report.examined += len(page)
            if progress is not None and page:
                progress(report)
            if len(page) < batch_size:
                break
            after = page[-1].key
    if also is not None:
        with sessions() as db_session:
            if lease is not None and not dry_run:
                lease.keep(db_session=db_session)
            report.retained = also(db_session, now, dry_run)
    return _finish(report, sessions=sessions, audit=audit, actor=actor)


def _finish(
    report: SweepReport, *, sessions: SessionScope, audit: AuditLog, actor: str
) -> SweepReport:
    if report.dry_run or not (report.purges or report.retained):
        return report
    with sessions() as db_session:
        audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=actor,
                operation="retention.sweep",
                detail={
                    "at": report.at.isoformat(),
                    "examined": report.examined,
                    "records_deleted": report.count(PurgeStatus.PURGE, whole=True),
                    "records_stripped": report.count(PurgeStatus.PURGE, whole=False),
                    "held": report.count(PurgeStatus.HELD),
                    "changed": report.count(PurgeStatus.CHANGED),
                    "finished": report.finished,
                    "retained_purged": report.retained,
                },
            ),
        )
    logger.info("retention sweep: %s", report.summary())
    return report
