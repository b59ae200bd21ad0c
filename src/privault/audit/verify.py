"""Verification of the whole audit log: recompute the tree from the stored events, check every
checkpoint's signature, the database and external copies against each other, and the head.

``privault audit verify`` and :meth:`AuditLog.verify` call :func:`verify_log`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from privault.audit import repository
from privault.audit.checkpoint import Checkpoint, verify_checkpoint
from privault.audit.merkle import CompactTree
from privault.audit.models import AuditCheckpoint
from privault.audit.rules import canonical_row
from privault.errors import InvalidInput

if TYPE_CHECKING:
    from privault.audit.service import AuditLog


@dataclass
class VerifyReport:
    """The outcome of ``privault audit verify``."""

    events: int = 0
    checkpoints: int = 0
    external: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.problems

    @property
    def first_problem(self) -> str | None:
        """The first bad entry found, in log order."""
        return self.problems[0] if self.problems else None


def checkpoint_roots(
    log: AuditLog, *, db_session: Session, report: VerifyReport
) -> dict[int, tuple[bytes, str]]:
    """Root expected at each checkpointed size, from every copy that verifies."""
    expected: dict[int, tuple[bytes, str]] = {}
    for row in repository.checkpoints(db_session=db_session):
        report.checkpoints += 1
        parsed = _parse_stored(row)
        if parsed is None or not verify_checkpoint(parsed, log.public_key):
            report.problems.append(
                f"checkpoint at tree size {row.tree_size} (database): signature or "
                "contents do not verify"
            )
            continue
        expected[row.tree_size] = (parsed.root_hash, "database")
    for path, parsed in log.external_checkpoints():
        report.external += 1
        if parsed is None or not verify_checkpoint(parsed, log.public_key):
            report.problems.append(f"external checkpoint {path.name}: does not verify")
            continue
        seen = expected.get(parsed.tree_size)
        if seen is not None and seen[0] != parsed.root_hash:
            report.problems.append(
                f"checkpoint at tree size {parsed.tree_size}: the database copy and "
                f"{path.name} disagree"
            )
        expected[parsed.tree_size] = (parsed.root_hash, path.name)
    return expected


def verify_log(
    log: AuditLog, *, db_session: Session, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Recompute the tree from the stored events and check it against every checkpoint.

    Checks: contiguous indexes from 0; each event's stored hash matches its contents; the
    root at each checkpoint's size matches the checkpoint; every checkpoint's signature;
    database and external copies agree; the head matches the events.
    """
    report = VerifyReport()
    expected = checkpoint_roots(log, db_session=db_session, report=report)
    tree = CompactTree()
    count = 0
    pending: list[bytes] = []
    extend = tree.extend
    leaf_hasher = hashlib.sha256(b"\x00").copy  # RFC 9162 leaf prefix, hashed once
    for event in repository.iter_events(db_session=db_session):
        index, event_id, stored = event[0], event[1], bytes(event[13])
        if index != count:
            report.problems.append(
                f"event at index {count}: missing (next stored index is {index})"
                if index > count
                else f"event at index {index}: out of order"
            )
            break
        hasher = leaf_hasher()
        hasher.update(canonical_row(event))
        digest = hasher.digest()
        if digest != stored:
            report.problems.append(
                f"event {event_id} at index {count}: its contents do not match its hash"
            )
        pending.append(digest)
        count += 1
        want = expected.get(count)
        if want is not None:
            extend(pending)
            pending.clear()
            if want[0] != tree.root():
                report.problems.append(
                    f"checkpoint at tree size {count} ({want[1]}): the events up to index "
                    f"{count - 1} do not produce its root"
                )
        if count % 10_000 == 0:
            extend(pending)
            pending.clear()
            if progress is not None:
                progress(10_000)
    extend(pending)
    if progress is not None:
        progress(count % 10_000)
    report.events = count
    beyond = sorted(size for size in expected if size > count)
    if beyond:
        report.problems.append(
            f"the log holds {count} events but a checkpoint covers {beyond[-1]}: "
            "events were removed from the end"
        )
    head = repository.head_tree(db_session=db_session)
    if head.size != count or (count and head.root() != tree.root()):
        report.problems.append(
            f"the log's head says {head.size} events with another root than the "
            f"{count} stored events give"
        )
    return report


def _parse_stored(row: AuditCheckpoint) -> Checkpoint | None:
    try:
        parsed = Checkpoint.from_text(row.text)
    except InvalidInput:
        return None
    if parsed.tree_size != row.tree_size or parsed.root_hash != bytes(row.root_hash):
        return None
    return parsed
