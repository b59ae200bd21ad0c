"""Use cases of the vault: store, read, update, delete records; export and erase customers."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from privault.common.clock import Clock, SystemClock
from privault.common.ids import new_id
from privault.crypto import FieldCipher, KeyStore, field_context
from privault.crypto import repository as keys_repo
from privault.crypto.models import SubjectKey
from privault.datamap import DataMap
from privault.errors import IntegrityViolation, InvalidInput, NotFound
from privault.vault import repository
from privault.vault.models import Record
from privault.vault.rules import canonical_value, check_subject_id
from privault.vault.schemas import (
    ErasureReceipt,
    RecordCreate,
    RecordRead,
    StoredRecord,
    SubjectExport,
)


class RecordService:
    """Stores and reads records, encrypting each field under its customer's key."""

    def __init__(self, *, datamap: DataMap, keys: KeyStore, clock: Clock | None = None) -> None:
        self.datamap = datamap
        self.keys = keys
        self.clock: Clock = clock or SystemClock()
        self._field_types = {
            name: {f: str(spec.type) for f, spec in collection.fields.items()}
            for name, collection in datamap.collections.items()
        }
        self._required = {
            name: frozenset(f for f, spec in collection.fields.items() if spec.required)
            for name, collection in datamap.collections.items()
        }

    # -- validation -------------------------------------------------------------------------

    def _types(self, collection: str) -> dict[str, str]:
        try:
            return self._field_types[collection]
        except KeyError:
            raise NotFound(
                f"collection '{collection}' is not in the data map",
                code="unknown_collection",
                collection=collection,
            ) from None

    def validate(
        self, *, collection: str, values: Mapping[str, object], partial: bool = False
    ) -> dict[str, str]:
        """Check values against the data map and return their stored form.

        Raises ``InvalidInput`` naming the first bad field and the rule it breaks (never the
        value). ``partial`` skips the required-field check (for updates).
        """
        types = self._types(collection)
        clean: dict[str, str] = {}
        for name, value in values.items():
            field_type = types.get(name)
            if field_type is None:
                raise InvalidInput(
                    f"field '{name}' is not declared in collection '{collection}'",
                    code="unknown_field",
                    field=name,
                )
            try:
                clean[name] = canonical_value(field_type, value)
            except ValueError as exc:
                raise InvalidInput(
                    f"field '{name}': {exc}", code="invalid_value", field=name
                ) from None
        if not partial:
            missing = sorted(self._required[collection] - clean.keys())
            if missing:
                raise InvalidInput(
                    f"required field(s) missing: {', '.join(missing)}",
                    code="missing_field",
                    fields=missing,
                )
        if not clean and not partial:
            raise InvalidInput("a record needs at least one field", code="empty_record")
        return clean

    def _region(self, region: str | None) -> str:
        return self.datamap.region_or_default(region)

    # -- ciphers ----------------------------------------------------------------------------

    def _cipher(self, key: SubjectKey) -> FieldCipher:
        return self.keys.open_subject_key(
            region=key.region,
            subject_id=key.subject_id,
            key_id=key.key_id,
            wrapped_key=key.wrapped_key,
        )

    def _ciphers_for(
        self, *, db_session: Session, wanted: Mapping[str, str]
    ) -> dict[str, tuple[str, FieldCipher]]:
        """Region and cipher for each customer in ``wanted`` (id -> region), creating keys."""
        ids = list(wanted)
        existing = keys_repo.get_many(db_session=db_session, subject_ids=ids)
        result: dict[str, tuple[str, FieldCipher]] = {}
        fresh: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        now = self.clock.now()
        for subject_id in ids:
            key = existing.get(subject_id)
            if key is not None:
                result[subject_id] = (key.region, self._cipher(key))
                continue
            region = wanted[subject_id]
            made = self.keys.new_subject_key(region=region, subject_id=subject_id)
            fresh[subject_id] = made
            rows.append(
                {
                    "subject_id": subject_id,
                    "region": region,
                    "key_id": made.key_id,
                    "master_key_id": made.master_key_id,
                    "wrapped_key": made.wrapped_key,
                    "created_at": now,
                    "rewrapped_at": None,
                }
            )
        inserted = keys_repo.insert_missing(db_session=db_session, rows=rows)
        lost = [subject_id for subject_id in fresh if subject_id not in inserted]
        if lost:  # another writer created these customers between our read and our insert
            for subject_id, key in keys_repo.get_many(
                db_session=db_session, subject_ids=lost
            ).items():
                result[subject_id] = (key.region, self._cipher(key))
        for subject_id in inserted:
            result[subject_id] = (wanted[subject_id], fresh[subject_id].cipher)
        return result

    # -- writes -----------------------------------------------------------------------------

    def put_many(
        self, *, db_session: Session, records: Sequence[RecordCreate], validated: bool = False
    ) -> list[StoredRecord]:
        """Store several records in the caller's transaction; all or nothing.

        ``validated`` says the values already went through :meth:`validate` (the importer
        validates row by row to report bad rows, and need not pay twice).
        """
        cleaned: list[tuple[RecordCreate, dict[str, str]]] = []
        wanted: dict[str, str] = {}
        for item in records:
            try:
                check_subject_id(item.subject_id)
            except ValueError as exc:
                raise InvalidInput(str(exc), code="invalid_subject") from None
            values = (
                {k: str(v) for k, v in item.values.items()}
                if validated
                else self.validate(collection=item.collection, values=item.values)
            )
            cleaned.append((item, values))
            wanted.setdefault(item.subject_id, self._region(item.region))
        ciphers = self._ciphers_for(db_session=db_session, wanted=wanted)
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        stored: list[StoredRecord] = []
        b64 = base64.b64encode
        for item, values in cleaned:
            region, cipher = ciphers[item.subject_id]
            if item.region is not None and item.region != region:
                raise InvalidInput(
                    f"customer belongs to region '{region}', not '{item.region}'",
                    code="region_mismatch",
                )
            record_id = new_id("rec")
            encrypted = {
                name: b64(
                    cipher.encrypt(
                        value.encode(),
                        field_context(item.collection, name, record_id, item.subject_id),
                    )
                ).decode("ascii")
                for name, value in values.items()
            }
            rows.append(
                {
                    "id": record_id,
                    "collection": item.collection,
                    "subject_id": item.subject_id,
                    "region": region,
                    "fields": json.dumps(encrypted, separators=(",", ":")),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            stored.append(StoredRecord(record_id, item.collection, item.subject_id, region))
        repository.insert_many(db_session=db_session, rows=rows)
        return stored

    def put(self, *, db_session: Session, record: RecordCreate) -> StoredRecord:
        """Store one record."""
        return self.put_many(db_session=db_session, records=[record])[0]

    # -- reads ------------------------------------------------------------------------------

    def _load(
        self, *, db_session: Session, collection: str, record_id: str
    ) -> tuple[Record, SubjectKey]:
        self._types(collection)
        found = repository.get_with_key(
            db_session=db_session, collection=collection, record_id=record_id
        )
        if found is None:
            raise NotFound(
                f"record {record_id} not found in '{collection}'",
                code="record_not_found",
                record_id=record_id,
            )
        return found

    def _decrypt(self, record: Record, cipher: FieldCipher) -> dict[str, str]:
        try:
            stored = json.loads(record.fields)
        except ValueError as exc:
            raise IntegrityViolation(
                f"record {record.id} has a corrupt field map", code="record_corrupt"
            ) from exc
        if not isinstance(stored, dict):
            raise IntegrityViolation(f"record {record.id} has a corrupt field map")
        values: dict[str, str] = {}
        for name, encoded in stored.items():
            try:
                ciphertext = base64.b64decode(encoded, validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise IntegrityViolation(
                    f"record {record.id} field '{name}' is not valid base64",
                    code="record_corrupt",
                ) from exc
            plaintext = cipher.decrypt(
                ciphertext, field_context(record.collection, name, record.id, record.subject_id)
            )
            try:
                values[name] = plaintext.decode()
            except UnicodeDecodeError as exc:  # authenticated, so only a bug could cause it
                raise IntegrityViolation(f"record {record.id} field '{name}' is not text") from exc
        return values

    @staticmethod
    def _read(record: Record, values: dict[str, str]) -> RecordRead:
        return RecordRead(
            id=record.id,
            collection=record.collection,
            subject_id=record.subject_id,
            region=record.region,
            values=values,
            version=record.version,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    def get(self, *, db_session: Session, collection: str, record_id: str) -> RecordRead:
        """Read and decrypt one record."""
        record, key = self._load(db_session=db_session, collection=collection, record_id=record_id)
        return self._read(record, self._decrypt(record, self._cipher(key)))

    def update(
        self,
        *,
        db_session: Session,
        collection: str,
        record_id: str,
        values: Mapping[str, object | None],
    ) -> RecordRead:
        """Change some fields (``None`` removes a field); every changed field is re-encrypted."""
        record, key = self._load(db_session=db_session, collection=collection, record_id=record_id)
        removals = [name for name, value in values.items() if value is None]
        changes = self.validate(
            collection=collection,
            values={k: v for k, v in values.items() if v is not None},
            partial=True,
        )
        missing_required = self._required[collection].intersection(removals)
        if missing_required:
            raise InvalidInput(
                f"required field(s) cannot be removed: {', '.join(sorted(missing_required))}",
                code="missing_field",
            )
        unknown = [name for name in removals if name not in self._types(collection)]
        if unknown:
            raise InvalidInput(
                f"field '{unknown[0]}' is not declared in collection '{collection}'",
                code="unknown_field",
            )
        cipher = self._cipher(key)
        current = self._decrypt(record, cipher)
        for name in removals:
            current.pop(name, None)
        current.update(changes)
        if not current:
            raise InvalidInput("a record needs at least one field", code="empty_record")
        encrypted = {
            name: base64.b64encode(
                cipher.encrypt(
                    value.encode(), field_context(collection, name, record.id, record.subject_id)
                )
            ).decode("ascii")
            for name, value in current.items()
        }
        record.fields = json.dumps(encrypted, separators=(",", ":"))
        record.version += 1
        record.updated_at = self.clock.now()
        db_session.flush()
        return self._read(record, current)

    def delete(self, *, db_session: Session, collection: str, record_id: str) -> None:
        """Delete one record (the customer's key stays: other records may use it)."""
        record, _key = self._load(db_session=db_session, collection=collection, record_id=record_id)
        repository.delete_one(db_session=db_session, record=record)

    # -- customers --------------------------------------------------------------------------

    def _subject_key_or_raise(self, *, db_session: Session, subject_id: str) -> SubjectKey:
        key = keys_repo.get(db_session=db_session, subject_id=subject_id)
        if key is None or self.keys.ledger.is_erased(key.key_id):
            erased = self.keys.ledger.erased_at(self.keys.subject_ref(subject_id))
            if erased is not None:
                raise NotFound(
                    f"customer was erased at {erased.isoformat()}",
                    code="erased",
                    erased_at=erased.isoformat(),
                )
            raise NotFound("no data is stored for this customer", code="subject_not_found")
        return key

    def export_subject(self, *, db_session: Session, subject_id: str) -> SubjectExport:
        """Decrypt every record of a customer."""
        key = self._subject_key_or_raise(db_session=db_session, subject_id=subject_id)
        cipher = self._cipher(key)
        records = [
            self._read(record, self._decrypt(record, cipher))
            for record in repository.list_for_subject(db_session=db_session, subject_id=subject_id)
        ]
        return SubjectExport(
            subject_id=subject_id, region=key.region, exported_at=self.clock.now(), records=records
        )

    def erase_subject(self, *, db_session: Session, subject_id: str) -> ErasureReceipt:
        """Crypto-shred a customer: destroy their key, then delete their records.

        The key id goes to the erasure ledger (fsynced, outside the database) before the rows
        are deleted, so even a crash between the two, or a database copy restored later, leaves
        the customer's ciphertexts unreadable.
        """
        key = self._subject_key_or_raise(db_session=db_session, subject_id=subject_id)
        now = self.clock.now()
        self.keys.ledger.record([(key.key_id, self.keys.subject_ref(subject_id))], erased_at=now)
        deleted = repository.delete_for_subject(db_session=db_session, subject_id=subject_id)
        keys_repo.delete_subject(db_session=db_session, subject_id=subject_id)
        db_session.expunge(key)
        return ErasureReceipt(
            subject_id=subject_id, key_id=key.key_id, records_deleted=deleted, erased_at=now
        )

    def apply_erasure_ledger(self, *, db_session: Session) -> int:
        """Delete customers whose key the ledger says was destroyed; return how many."""
        erased = self.keys.ledger.erased_ids()
        if not erased:
            return 0
        subjects = keys_repo.find_erased(db_session=db_session, key_ids=erased)
        for subject_id in subjects:
            repository.delete_for_subject(db_session=db_session, subject_id=subject_id)
            keys_repo.delete_subject(db_session=db_session, subject_id=subject_id)
        return len(subjects)
