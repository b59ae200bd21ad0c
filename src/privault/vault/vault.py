"""``privault.Vault``: the library API, each call in its own transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType

from sqlalchemy.orm import Session

from privault.common.clock import Clock
from privault.config import Settings
from privault.crypto import KeyStore
from privault.datamap import DataMap, load_datamap
from privault.db import SCHEMA_REVISION, Database, stored_revision
from privault.errors import Unavailable
from privault.vault.schemas import (
    ErasureReceipt,
    RecordCreate,
    RecordRead,
    StoredRecord,
    SubjectExport,
)
from privault.vault.service import RecordService


class Vault:
    """Customer records encrypted field by field under per-customer keys.

    Open it from settings; every method runs in its own transaction::

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
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.datamap = datamap
        self.keys = keys
        self.database = database
        self.records = RecordService(datamap=datamap, keys=keys, clock=clock)

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock | None = None) -> Vault:
        """Open the vault of an initialised home; re-apply the erasure ledger to the database."""
        datamap = load_datamap(settings.datamap_path)
        keys = KeyStore.open(settings.keys_dir, settings.keys)
        database = Database(
            settings.database_url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
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
        vault = cls(settings=settings, datamap=datamap, keys=keys, database=database, clock=clock)
        with database.session() as db_session:
            vault.records.apply_erasure_ledger(db_session=db_session)
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

    def put(
        self,
        collection: str,
        subject_id: str,
        values: Mapping[str, object],
        *,
        region: str | None = None,
    ) -> StoredRecord:
        """Store a record for a customer."""
        with self.database.session() as db_session:
            return self.records.put(
                db_session=db_session,
                record=RecordCreate(collection, subject_id, values, region),
            )

    def put_many(self, records: Sequence[RecordCreate]) -> list[StoredRecord]:
        """Store several records in one transaction."""
        with self.database.session() as db_session:
            return self.records.put_many(db_session=db_session, records=records)

    def get(self, collection: str, record_id: str) -> RecordRead:
        """Read and decrypt a record."""
        with self.database.session() as db_session:
            return self.records.get(
                db_session=db_session, collection=collection, record_id=record_id
            )

    def update(
        self, collection: str, record_id: str, values: Mapping[str, object | None]
    ) -> RecordRead:
        """Change fields of a record (``None`` removes one)."""
        with self.database.session() as db_session:
            return self.records.update(
                db_session=db_session, collection=collection, record_id=record_id, values=values
            )

    def delete(self, collection: str, record_id: str) -> None:
        """Delete a record."""
        with self.database.session() as db_session:
            self.records.delete(db_session=db_session, collection=collection, record_id=record_id)

    def export_subject(self, subject_id: str) -> SubjectExport:
        """Every record of a customer, decrypted."""
        with self.database.session() as db_session:
            return self.records.export_subject(db_session=db_session, subject_id=subject_id)

    def erase_subject(self, subject_id: str) -> ErasureReceipt:
        """Crypto-shred a customer: destroy their key and delete their records."""
        with self.database.session() as db_session:
            return self.records.erase_subject(db_session=db_session, subject_id=subject_id)
