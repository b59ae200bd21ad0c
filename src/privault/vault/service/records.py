"""Use cases of the vault: store, read, update, delete records; export and erase customers."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from privault.common.ids import new_id
from privault.crypto import (
    SubjectKey,
    field_context_format,
)
from privault.crypto import subject_keys as keys_repo
from privault.errors import Conflict, InvalidInput, NotFound, PrivaultError
from privault.vault import repository
from privault.vault.rules import check_subject_id, pack_fields
from privault.vault.schemas import (
    ErasureReceipt,
    PreparedBatch,
    RecordCreate,
    RecordRead,
    StoredRecord,
    SubjectExport,
)
from privault.vault.service.lookups import LookupMethods


class RecordService(LookupMethods):
    """Stores and reads records, encrypting each field under its customer's key."""

    def prepare_many(
        self,
        *,
        db_session: Session,
        records: Sequence[RecordCreate],
        validated: bool = False,
        failures: dict[int, PrivaultError] | None = None,
    ) -> PreparedBatch:
        """Validate and encrypt records, ready for :meth:`write_prepared`.

        ``db_session`` is only read (the customers' existing keys). ``validated`` says the
        values already went through :meth:`validate` (the importer validates row by row to
        report bad rows, and need not pay twice). With ``failures``, a bad record is left out
        and its error stored under its index instead of failing the whole batch.
        """
        cleaned: list[tuple[int, RecordCreate, dict[str, str]]] = []
        wanted: dict[str, str] = {}
        for index, item in enumerate(records):
            try:
                try:
                    check_subject_id(item.subject_id)
                except ValueError as exc:
                    raise InvalidInput(str(exc), code="invalid_subject") from None
                values = (
                    {k: str(v) for k, v in item.values.items()}
                    if validated
                    else self.validate(collection=item.collection, values=item.values)
                )
                region = self._region(item.region)
            except PrivaultError as exc:
                if failures is None:
                    raise
                failures[index] = exc
                continue
            cleaned.append((index, item, values))
            wanted.setdefault(item.subject_id, region)
        ciphers, fresh = self._subject_ciphers(db_session=db_session, wanted=wanted)
        batch = PreparedBatch(
            fresh={
                subject_id: (made.region, made.key_id, made.master_key_id, made.wrapped_key)
                for subject_id, made in fresh.items()
            }
        )
        for index, item, values in cleaned:
            region, cipher = ciphers[item.subject_id]
            if item.region is not None and item.region != region:
                mismatch = InvalidInput(
                    f"customer belongs to region '{region}', not '{item.region}'",
                    code="region_mismatch",
                )
                if failures is None:
                    raise mismatch
                failures[index] = mismatch
                continue
            record_id = new_id("rec")
            stored, lookups = self.lookups.for_record(
                region=region, collection=item.collection, record_id=record_id, values=values
            )
            tokens = json.dumps(stored, separators=(",", ":")) if stored else None
            batch.rows.append(self._encrypt_row(item, values, record_id, cipher, region, tokens))
            batch.lookups.extend(
                (record_id, field, kind, item.collection, digest) for kind, field, digest in lookups
            )
            batch.sources.append((item, values))
        return batch

    def write_prepared(
        self, *, db_session: Session, batch: PreparedBatch, with_tokens: bool = False
    ) -> list[StoredRecord]:
        """Store a prepared batch in the caller's transaction; all or nothing.

        ``with_tokens`` returns every field's token (the import does not need them).

        If another writer created one of the batch's new customers since it was prepared, that
        customer's records are re-encrypted under the key that won, before anything is stored.
        """
        now = self.clock.now()
        key_rows = [(subject_id, *made) for subject_id, made in batch.fresh.items()]
        all_in = keys_repo.insert_missing(db_session=db_session, rows=key_rows, at=now)
        if not all_in:
            winners = {
                subject_id: key
                for subject_id, key in keys_repo.get_many(
                    db_session=db_session, subject_ids=list(batch.fresh)
                ).items()
                if key.key_id != batch.fresh[subject_id][1]
            }
            for index, (item, values) in enumerate(batch.sources):
                key = winners.get(item.subject_id)
                if key is not None:
                    row = batch.rows[index]
                    batch.rows[index] = self._encrypt_row(
                        item, values, row[0], self._cipher(key), key.region, row[5]
                    )
        values_of = {
            row[0]: values for row, (_, values) in zip(batch.rows, batch.sources, strict=True)
        }
        replaced = self._unique_card_tokens(
            db_session=db_session, lookups=batch.lookups, values_of=values_of
        )
        for index, row in enumerate(batch.rows):
            changed = replaced.get(row[0])
            if changed:
                kept = {**json.loads(row[5] or "{}"), **changed}
                batch.rows[index] = (*row[:5], json.dumps(kept, separators=(",", ":")))
        repository.insert_many(db_session=db_session, rows=batch.rows, at=now)
        repository.insert_lookups(db_session=db_session, rows=batch.lookups)
        if not with_tokens:
            return [StoredRecord(r[0], r[1], r[2], r[3]) for r in batch.rows]
        return [
            StoredRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                self.lookups.tokens_of(
                    region=r[3],
                    collection=r[1],
                    record_id=r[0],
                    fields=values,
                    stored=json.loads(r[5]) if r[5] else {},
                ),
            )
            for r, (_, values) in zip(batch.rows, batch.sources, strict=True)
        ]

    def put_many(
        self,
        *,
        db_session: Session,
        records: Sequence[RecordCreate],
        validated: bool = False,
        with_tokens: bool = True,
    ) -> list[StoredRecord]:
        """Store several records in the caller's transaction; all or nothing."""
        batch = self.prepare_many(db_session=db_session, records=records, validated=validated)
        return self.write_prepared(db_session=db_session, batch=batch, with_tokens=with_tokens)

    def put(self, *, db_session: Session, record: RecordCreate) -> StoredRecord:
        """Store one record; the answer names each field's token."""
        return self.put_many(db_session=db_session, records=[record])[0]

    def get(
        self,
        *,
        db_session: Session,
        collection: str,
        record_id: str,
        only: Collection[str] | None = None,
    ) -> RecordRead:
        """Read and decrypt one record (only the fields in ``only``, when given)."""
        row = self._load(db_session=db_session, collection=collection, record_id=record_id)
        if only is None:
            return self._read(row, self._decrypt(row, self._row_cipher(row)))
        stored = self._stored(row)
        wanted = {name: value for name, value in stored.items() if name in only}
        values = (
            self._row_cipher(row).decrypt_fields(
                wanted, field_context_format(row.collection, row.id, row.subject_id)
            )
            if wanted
            else {}
        )
        return self._read(row, values, tuple(stored))

    def update(
        self,
        *,
        db_session: Session,
        collection: str,
        record_id: str,
        values: Mapping[str, object | None],
        expected_version: int | None = None,
    ) -> RecordRead:
        """Change some fields (``None`` removes a field); changed fields are re-encrypted,
        re-tokenised and re-indexed.

        Raises ``Conflict`` if the record is not at ``expected_version`` (when given) or another
        writer changed it meanwhile.
        """
        row = self._load(db_session=db_session, collection=collection, record_id=record_id)
        if expected_version is not None and expected_version != row.version:
            raise Conflict(
                f"record {record_id} is at version {row.version}, not {expected_version}",
                code="version_mismatch",
                version=row.version,
            )
        types = self._types(collection)
        removals = [name for name, value in values.items() if value is None]
        unknown = [name for name in removals if name not in types]
        if unknown:
            raise InvalidInput(
                f"field '{unknown[0]}' is not declared in collection '{collection}'",
                code="unknown_field",
            )
        missing_required = self._required[collection].intersection(removals)
        if missing_required:
            raise InvalidInput(
                f"required field(s) cannot be removed: {', '.join(sorted(missing_required))}",
                code="missing_field",
            )
        changes = self.validate(
            collection=collection,
            values={k: v for k, v in values.items() if v is not None},
            partial=True,
        )
        cipher = self._row_cipher(row)
        current = self._decrypt(row, cipher)
        removed = [name for name in removals if name in current]
        changed = {name: value for name, value in changes.items() if current.get(name) != value}
        for name in removed:
            del current[name]
        current.update(changed)
        if not current:
            raise InvalidInput("a record needs at least one field", code="empty_record")
        encrypted = cipher.encrypt_fields(
            current, field_context_format(collection, row.id, row.subject_id)
        )
        kept: dict[str, str] = json.loads(row.tokens) if row.tokens else {}
        for name in [*removed, *changed]:
            kept.pop(name, None)
        new_tokens, new_lookups = self.lookups.for_record(
            region=row.region, collection=collection, record_id=row.id, values=changed
        )
        lookup_rows = [(row.id, field, kind, collection, d) for kind, field, d in new_lookups]
        repository.delete_lookups(
            db_session=db_session, record_id=row.id, fields=[*removed, *changed]
        )
        replaced = self._unique_card_tokens(
            db_session=db_session, lookups=lookup_rows, values_of={row.id: changed}
        )
        kept.update(new_tokens)
        kept.update(replaced.get(row.id, {}))
        tokens = json.dumps(kept, separators=(",", ":")) if kept else None
        now = self.clock.now()
        if not repository.replace_fields(
            db_session=db_session,
            record_id=row.id,
            expected_version=row.version,
            fields=pack_fields(encrypted),
            tokens=tokens,
            at=now,
        ):
            raise Conflict(
                f"record {record_id} was changed by another request; retry",
                code="concurrent_update",
            )
        repository.insert_lookups(db_session=db_session, rows=lookup_rows)
        updated = replace(row, version=row.version + 1, updated_at=now, tokens=tokens)
        return self._read(updated, current)

    def delete(self, *, db_session: Session, collection: str, record_id: str) -> str:
        """Delete one record, its tokens and lookups; return its customer's id.

        The customer's key stays: other records may use it.
        """
        row = self._load(db_session=db_session, collection=collection, record_id=record_id)
        repository.delete_one(db_session=db_session, collection=collection, record_id=record_id)
        return row.subject_id

    def check_subject(self, *, db_session: Session, subject_id: str) -> None:
        """``NotFound`` (code ``erased`` or ``subject_not_found``) unless the customer has data."""
        self._subject_key_or_raise(db_session=db_session, subject_id=subject_id)

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
        # The shred cannot be undone: the caller's pending writes (fields an erasure keeps for
        # a legal obligation, above all) must reach the database, and fail, before it.
        db_session.flush()
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
