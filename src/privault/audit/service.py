"""The audit log: record events, sign checkpoints, prove, verify."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy.orm import Session

from privault.audit import repository
from privault.audit.checkpoint import Checkpoint, CheckpointSigner
from privault.audit.merkle import (
    CompactTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from privault.audit.models import AuditCheckpoint, AuditEvent
from privault.audit.rules import (
    OUTCOMES,
    AuditRecord,
    canonical_event,
    names_json,
)
from privault.audit.verify import VerifyReport, verify_log
from privault.common.clock import Clock, SystemClock
from privault.errors import IntegrityViolation, InvalidInput, NotFound

SessionScope = Callable[[], contextlib.AbstractContextManager[Session]]
ORIGIN = "privault audit log"


def event_bytes(event: AuditEvent | tuple[Any, ...]) -> bytes:
    """The canonical bytes of a stored event (its Merkle leaf data).

    Takes an ORM event or a raw row in ``repository._COLUMNS`` order (as verification reads).
    """
    if isinstance(event, tuple):
        (index, event_id, at, actor, operation, collection, requested, returned, purpose,
         subject, outcome, request_id, detail) = event[:13]  # fmt: skip
    else:
        index, event_id, at, actor = event.leaf_index, event.id, event.at, event.actor
        operation, collection = event.operation, event.collection
        requested, returned = event.fields_requested, event.fields_returned
        purpose, subject, outcome = event.purpose, event.subject, event.outcome
        request_id, detail = event.request_id, event.detail
    return canonical_event(
        leaf_index=index,
        event_id=event_id,
        at=at,
        actor=actor,
        operation=operation,
        collection=collection,
        fields_requested=requested,
        fields_returned=returned,
        purpose=purpose,
        subject=subject,
        outcome=outcome,
        request_id=request_id,
        detail=detail,
    )


def event_id_for(leaf_index: int) -> str:
    """The id of the event at a leaf index: ``evt_`` and the index in 16 hex digits."""
    return f"evt_{leaf_index:016x}"


@dataclass(frozen=True)
class AccessEntry:
    """One access to a customer's data, as the customer may be told of it."""

    leaf_index: int
    at: datetime
    actor: str
    operation: str
    purpose: str | None
    collection: str | None
    fields_returned: list[str] | None
    outcome: str


class AuditLog:
    """Appends events in the caller's transaction; checkpoints and verifies the log."""

    def __init__(
        self,
        *,
        pseudonym_key: bytes,
        signing_key: Ed25519PrivateKey,
        checkpoint_dir: Path,
        clock: Clock | None = None,
    ) -> None:
        self._pseudonym_key = pseudonym_key
        self.signer = CheckpointSigner(signing_key)
        self.public_key: Ed25519PublicKey = signing_key.public_key()
        self.checkpoint_dir = checkpoint_dir
        self.clock: Clock = clock or SystemClock()

    def pseudonym(self, subject_id: str) -> str:
        """The keyed pseudonym that names a customer in the log (never the id itself)."""
        mac = hmac.new(self._pseudonym_key, subject_id.encode(), hashlib.sha256)
        return mac.hexdigest()

    def record(self, *, db_session: Session, event: AuditRecord) -> str:
        """Append an event in the caller's transaction; return its id.

        If the event cannot be written the transaction fails, so the access it records does
        not happen either.
        """
        if event.outcome not in OUTCOMES:
            raise InvalidInput(f"unknown audit outcome '{event.outcome}'", code="bad_outcome")
        clock = self.clock
        detail = (
            json.dumps(dict(event.detail), sort_keys=True, separators=(",", ":"))
            if event.detail
            else None
        )
        subject = self.pseudonym(event.subject_id) if event.subject_id else None

        def build(index: int) -> tuple[dict[str, Any], bytes]:
            # Taken under the head lock: ids name their leaf, and times rise with the index.
            event_id = event_id_for(index)
            at = clock.now()
            row: dict[str, Any] = {
                "leaf_index": index,
                "id": event_id,
                "at": at,
                "actor": event.actor[:128],
                "operation": event.operation[:64],
                "collection": event.collection,
                "fields_requested": names_json(event.fields_requested),
                "fields_returned": names_json(event.fields_returned),
                "purpose": event.purpose,
                "subject": subject,
                "outcome": event.outcome,
                "request_id": event.request_id,
                "detail": detail,
            }
            data = canonical_event(
                leaf_index=index,
                event_id=event_id,
                at=at,
                actor=row["actor"],
                operation=row["operation"],
                collection=row["collection"],
                fields_requested=row["fields_requested"],
                fields_returned=row["fields_returned"],
                purpose=row["purpose"],
                subject=subject,
                outcome=row["outcome"],
                request_id=row["request_id"],
                detail=detail,
            )
            return row, leaf_hash(data)

        return repository.append_event(db_session=db_session, build=build)

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self, *, sessions: SessionScope) -> Checkpoint | None:
        """Sign the current tree, store the checkpoint and write its copy outside the database.

        Returns None when the tree is empty or already checkpointed at its size.
        """
        with sessions() as db_session:
            head = repository.lock_head(db_session=db_session)
            tree = CompactTree.from_state(head.size, bytes(head.state))
            latest = repository.latest_checkpoint(db_session=db_session)
            if tree.size == 0 or (latest is not None and latest.tree_size >= tree.size):
                return None
            signed = self.signer.sign(ORIGIN, tree.size, tree.root(), self.clock.now())
            db_session.add(
                AuditCheckpoint(
                    tree_size=signed.tree_size,
                    root_hash=signed.root_hash,
                    created_at=signed.timestamp,
                    key_id=signed.key_id,
                    text=signed.to_text(),
                )
            )
        self._write_external(signed)
        return signed

    def _write_external(self, signed: Checkpoint) -> None:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        target = self.checkpoint_dir / f"checkpoint-{signed.tree_size:015d}.txt"
        fd, tmp = tempfile.mkstemp(dir=self.checkpoint_dir, prefix=".checkpoint-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(signed.to_text())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    def external_checkpoints(self) -> list[tuple[Path, Checkpoint | None]]:
        """The copies outside the database (None where a file does not parse)."""
        found: list[tuple[Path, Checkpoint | None]] = []
        if not self.checkpoint_dir.is_dir():
            return found
        for path in sorted(self.checkpoint_dir.glob("checkpoint-*.txt")):
            try:
                found.append((path, Checkpoint.from_text(path.read_text(encoding="utf-8"))))
            except (InvalidInput, OSError, UnicodeDecodeError):
                found.append((path, None))
        return found

    # -- proofs -------------------------------------------------------------------------------

    def access_history(
        self, *, db_session: Session, subject_id: str, after_index: int = -1, limit: int = 1000
    ) -> list[AccessEntry]:
        """Who touched this customer's data, when, why and with what outcome, oldest first.

        For the rights workflow ("who accessed my data"): found by the customer's pseudonym,
        so the log itself never holds the id. Page with ``after_index`` (the last entry's).
        """
        events = repository.list_events(
            db_session=db_session,
            subject=self.pseudonym(subject_id),
            after_index=after_index,
            limit=max(1, min(limit, 10_000)),
        )
        return [
            AccessEntry(
                leaf_index=event.leaf_index,
                at=event.at,
                actor=event.actor,
                operation=event.operation,
                purpose=event.purpose,
                collection=event.collection,
                fields_returned=json.loads(event.fields_returned)
                if event.fields_returned
                else None,
                outcome=event.outcome,
            )
            for event in events
        ]

    def inclusion(
        self, *, db_session: Session, event_id: str, tree_size: int | None = None
    ) -> dict[str, object]:
        """An inclusion proof of an event in the tree of ``tree_size`` (default: the latest
        checkpoint that contains it, else the current tree)."""
        event = repository.get_event(db_session=db_session, event_id=event_id)
        if event is None:
            raise NotFound(f"audit event {event_id} not found", code="event_not_found")
        if tree_size is None:
            latest = repository.latest_checkpoint(db_session=db_session)
            current = repository.head_tree(db_session=db_session).size
            tree_size = (
                latest.tree_size
                if latest is not None and latest.tree_size > event.leaf_index
                else current
            )
        if not event.leaf_index < tree_size:
            raise InvalidInput("the event is not in a tree of that size", code="bad_size")
        hashes = repository.leaf_hashes(db_session=db_session, start=0, end=tree_size)
        if len(hashes) != tree_size:
            raise IntegrityViolation("the log has fewer events than the tree size")
        proof = inclusion_proof(event.leaf_index, tree_size, hashes)
        return {
            "event_id": event.id,
            "leaf_index": event.leaf_index,
            "tree_size": tree_size,
            "leaf_hash": bytes(event.leaf_hash).hex(),
            "root_hash": tree_root(hashes).hex(),
            "proof": [node.hex() for node in proof],
        }

    def consistency(self, *, db_session: Session, old_size: int, new_size: int) -> list[bytes]:
        """A consistency proof between two tree sizes."""
        hashes = repository.leaf_hashes(db_session=db_session, start=0, end=new_size)
        if len(hashes) != new_size:
            raise InvalidInput("the log is smaller than new_size", code="bad_size")
        return consistency_proof(old_size, new_size, hashes)

    # -- verification -------------------------------------------------------------------------

    def verify(
        self, *, db_session: Session, progress: Callable[[int], None] | None = None
    ) -> VerifyReport:
        """Recompute the tree from the stored events and check it against every checkpoint
        (see :func:`privault.audit.verify.verify_log`)."""
        return verify_log(self, db_session=db_session, progress=progress)


def tree_root(hashes: list[bytes]) -> bytes:
    """The root over leaf hashes."""
    tree = CompactTree()
    tree.extend(hashes)
    return tree.root()


def note_datamap(log: AuditLog, *, db_session: Session, datamap_hash: str, actor: str) -> bool:
    """Log a ``datamap.change`` event when the data map differs from the last one seen.

    Returns True when it changed (or was seen for the first time).
    """
    head = repository.lock_head(db_session=db_session)
    previous = head.datamap_hash
    if previous == datamap_hash:
        return False
    head.datamap_hash = datamap_hash
    db_session.flush()
    log.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="datamap.change",
            detail={"sha256": datamap_hash, "previous": previous or ""},
        ),
    )
    return True


def remember_datamap(*, db_session: Session, datamap_hash: str) -> None:
    """Record the data map a new home starts with (not a change: no event)."""
    head = repository.lock_head(db_session=db_session)
    if head.datamap_hash is None:
        head.datamap_hash = datamap_hash
        db_session.flush()


def audit_size(*, db_session: Session) -> int:
    """How many events the log holds."""
    return repository.head_tree(db_session=db_session).size


def checkpointed_size(*, db_session: Session) -> int:
    """The tree size of the latest checkpoint (0 when there is none)."""
    latest = repository.latest_checkpoint(db_session=db_session)
    return 0 if latest is None else latest.tree_size
