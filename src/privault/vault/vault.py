"""``privault.Vault``: the library API, each call in its own transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from types import TracebackType
from typing import TypeVar

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord, note_datamap
from privault.common.clock import Clock
from privault.config import Settings
from privault.crypto import KeyStore
from privault.datamap import DataMap, load_datamap
from privault.db import SCHEMA_REVISION, Database, stored_revision
from privault.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    PrivaultError,
    Unauthenticated,
    Unavailable,
)
from privault.vault.schemas import (
    ErasureReceipt,
    RecordCreate,
    RecordRead,
    StoredRecord,
    SubjectExport,
    TokenMatch,
)
from privault.vault.service import RecordService

T = TypeVar("T")

_OUTCOMES: dict[type[PrivaultError], str] = {
    NotFound: "not_found",
    PermissionDenied: "denied",
    Unauthenticated: "denied",
    InvalidInput: "invalid",
}


def outcome_of(exc: PrivaultError) -> str:
    """The audit outcome of a refused or failed access."""
    for kind in type(exc).__mro__:
        if kind in _OUTCOMES:
            return _OUTCOMES[kind]
    return "error"


class Vault:
    """Customer records encrypted field by field under per-customer keys.

    Open it from settings; every method runs in its own transaction and is written to the
    audit log in that same transaction (a refused or failed call is logged too)::

        with Vault.open(Settings(home=Path(".privault"))) as vault:
            stored = vault.put("customers", "C-1001", {"email": "ada@example.com"})
            vault.get("customers", stored.id).values["email"]
    """

    def __init__(
        self,
        *,
        settings: Settings,
        datamap: DataMap,
        keys: KeyStore,
        database: Database,
        audit: AuditLog,
        actor: str = "library",
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.datamap = datamap
        self.keys = keys
        self.database = database
        self.audit = audit
        self.actor = actor
        self.records = RecordService(datamap=datamap, keys=keys, clock=clock)

    @classmethod
    def open(
        cls, settings: Settings, *, actor: str = "library", clock: Clock | None = None
    ) -> Vault:
        """Open the vault of an initialised home; re-apply the erasure ledger to the database.

        ``actor`` names who acts in the audit log (e.g. ``operator:alice``, ``library``).
        """
        datamap = load_datamap(settings.datamap_path)
        keys = KeyStore.open(settings.keys_dir, settings.keys)
        audit = AuditLog(
            pseudonym_key=keys.derived.derive("audit-pseudonym/v1"),
            signing_key=keys.audit_signing_key(),
            checkpoint_dir=settings.audit_checkpoint_dir,
            clock=clock,
        )
        database = Database(
            settings.database_url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
            sqlite_cache_mib=settings.database.sqlite_cache_mib,
        )
        try:
            revision = stored_revision(database.engine)
        except Exception as exc:  # any driver error here means the database is not reachable
            database.dispose()
            raise Unavailable(
                f"cannot reach the database ({type(exc).__name__})", code="database_unavailable"
            ) from exc
        if revision != SCHEMA_REVISION:
            database.dispose()
            raise Unavailable(
                f"database schema is at {revision or 'nothing'}, privault needs "
                f"{SCHEMA_REVISION}; run `privault migrate`",
                code="schema_outdated",
            )
        database.start_checkpointer()
        vault = cls(
            settings=settings,
            datamap=datamap,
            keys=keys,
            database=database,
            audit=audit,
            actor=actor,
            clock=clock,
        )
        datamap_hash = hashlib.sha256(settings.datamap_path.read_bytes()).hexdigest()
        with database.session() as db_session:
            note_datamap(audit, db_session=db_session, datamap_hash=datamap_hash, actor=actor)
            removed = vault.records.apply_erasure_ledger(db_session=db_session)
            if removed:
                vault.audit.record(
                    db_session=db_session,
                    event=AuditRecord(
                        actor="privault", operation="erasure.reapply", detail={"customers": removed}
                    ),
                )
        return vault

    def close(self) -> None:
        """Release database connections."""
        self.database.dispose()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def session(self) -> AbstractContextManager[Session]:
        """A transaction for several service calls at once (the one commit point)."""
        return self.database.session()

    def audited(
        self,
        event: AuditRecord,
        action: Callable[[Session], T],
        describe: Callable[[T], AuditRecord | Sequence[AuditRecord]] | None = None,
        *,
        db_session: Session | None = None,
    ) -> T:
        """Run ``action`` and log it in the same transaction; log a refusal in its own.

        ``describe`` turns the result into the event(s) to log (e.g. with the fields returned).
        ``db_session`` runs the action in the caller's transaction (an HTTP request's), which
        the caller commits; otherwise the action gets a transaction of its own.
        """
        try:
            if db_session is not None:
                return self._run_audited(db_session, event, action, describe)
            with self.database.session() as own_session:
                return self._run_audited(own_session, event, action, describe)
        except PrivaultError as exc:
            failed = replace(event, outcome=outcome_of(exc), detail={"code": exc.code})
            if db_session is not None:
                # Undo the caller's transaction first: it may hold SQLite's write lock, which
                # the refusal's own transaction needs.
                db_session.rollback()
            with self.database.session() as refusal_session:
                self.audit.record(db_session=refusal_session, event=failed)
            raise

    def _run_audited(
        self,
        db_session: Session,
        event: AuditRecord,
        action: Callable[[Session], T],
        describe: Callable[[T], AuditRecord | Sequence[AuditRecord]] | None,
    ) -> T:
        result = action(db_session)
        logged = describe(result) if describe is not None else event
        for one in [logged] if isinstance(logged, AuditRecord) else logged:
            self.audit.record(db_session=db_session, event=one)
        return result

    def put(
        self,
        collection: str,
        subject_id: str,
        values: Mapping[str, object],
        *,
        region: str | None = None,
    ) -> StoredRecord:
        """Store a record for a customer."""
        event = AuditRecord(
            actor=self.actor,
            operation="record.write",
            collection=collection,
            fields_requested=list(values),
            subject_id=subject_id,
        )
        return self.audited(
            event,
            lambda s: self.records.put(
                db_session=s, record=RecordCreate(collection, subject_id, values, region)
            ),
        )

    def put_many(self, records: Sequence[RecordCreate]) -> list[StoredRecord]:
        """Store several records in one transaction."""
        event = AuditRecord(
            actor=self.actor, operation="record.write_many", detail={"records": len(records)}
        )
        return self.audited(event, lambda s: self.records.put_many(db_session=s, records=records))

    def get(self, collection: str, record_id: str) -> RecordRead:
        """Read and decrypt a record."""
        event = AuditRecord(
            actor=self.actor,
            operation="record.read",
            collection=collection,
            detail={"record": record_id},
        )
        return self.audited(
            event,
            lambda s: self.records.get(db_session=s, collection=collection, record_id=record_id),
            lambda r: replace(event, subject_id=r.subject_id, fields_returned=list(r.values)),
        )

    def update(
        self, collection: str, record_id: str, values: Mapping[str, object | None]
    ) -> RecordRead:
        """Change fields of a record (``None`` removes one)."""
        event = AuditRecord(
            actor=self.actor,
            operation="record.update",
            collection=collection,
            fields_requested=list(values),
            detail={"record": record_id},
        )
        return self.audited(
            event,
            lambda s: self.records.update(
                db_session=s, collection=collection, record_id=record_id, values=values
            ),
            lambda r: replace(event, subject_id=r.subject_id),
        )

    def delete(self, collection: str, record_id: str) -> None:
        """Delete a record."""
        event = AuditRecord(
            actor=self.actor,
            operation="record.delete",
            collection=collection,
            detail={"record": record_id},
        )
        self.audited(
            event,
            lambda s: self.records.delete(db_session=s, collection=collection, record_id=record_id),
            lambda subject_id: replace(event, subject_id=subject_id),
        )

    def detokenize(self, token: str) -> str:
        """The value behind a token (NotFound for unknown, forged, deleted or erased tokens)."""
        event = AuditRecord(actor=self.actor, operation="token.detokenize")

        def resolve(db_session: Session) -> tuple[TokenMatch, str]:
            for match in self.records.resolve_token(db_session=db_session, token=token):
                value = self.records.field_value(db_session=db_session, match=match)
                if value is not None:
                    return match, value
            raise NotFound("unknown token", code="token_not_found")

        found = self.audited(
            event,
            resolve,
            lambda r: replace(
                event,
                collection=r[0].collection,
                subject_id=r[0].subject_id,
                fields_returned=[r[0].field],
            ),
        )
        return found[1]

    def value_token(self, field_type: str, value: str, *, region: str | None = None) -> str:
        """A token for a value found outside the vault (see ``Lookups.value_token``)."""
        if not isinstance(value, str) or not value:
            raise InvalidInput(
                "a value to tokenise must be a non-empty string", code="invalid_value"
            )
        return self.records.lookups.value_token(
            region=self.datamap.region_or_default(region), field_type=field_type, value=value
        )

    def search(self, collection: str, field: str, value: object) -> list[TokenMatch]:
        """Records whose ``field`` equals ``value`` once normalised (blind index; no decryption)."""
        event = AuditRecord(
            actor=self.actor, operation="record.search", collection=collection,
            fields_requested=[field],
        )  # fmt: skip
        return self.audited(
            event,
            lambda s: self.records.search(
                db_session=s, collection=collection, field=field, value=value
            ),
            lambda found: replace(event, detail={"matches": len(found)}),
        )

    def export_subject(self, subject_id: str) -> SubjectExport:
        """Every record of a customer, decrypted."""
        event = AuditRecord(actor=self.actor, operation="subject.export", subject_id=subject_id)
        return self.audited(
            event,
            lambda s: self.records.export_subject(db_session=s, subject_id=subject_id),
            lambda e: replace(event, detail={"records": len(e.records)}),
        )

    def erase_subject(self, subject_id: str) -> ErasureReceipt:
        """Crypto-shred a customer: destroy their key and delete their records."""
        event = AuditRecord(actor=self.actor, operation="subject.erase", subject_id=subject_id)
        return self.audited(
            event,
            lambda s: self.records.erase_subject(db_session=s, subject_id=subject_id),
            lambda r: replace(event, detail={"records": r.records_deleted}),
        )
