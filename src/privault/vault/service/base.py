"""The state and helpers every use case of the vault shares: validation, ciphers, decryption."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.orm import Session

from privault.common.clock import Clock, SystemClock
from privault.crypto import (
    FieldCipher,
    KeyStore,
    NewSubjectKey,
    SubjectKey,
    field_context_format,
)
from privault.crypto import subject_keys as keys_repo
from privault.datamap import DataMap
from privault.errors import IntegrityViolation, InvalidInput, NotFound
from privault.vault import repository
from privault.vault.lookups import CARD, Lookups
from privault.vault.models import Record
from privault.vault.repository import RecordRow
from privault.vault.rules import canonical_value, pack_fields, unpack_fields
from privault.vault.schemas import (
    RecordCreate,
    RecordRead,
)
from privault.vault.tokens import new_card_token


class StoredFields(Protocol):
    """What decryption needs of a stored record (an ORM row or a hot-path row)."""

    @property
    def id(self) -> str: ...
    @property
    def collection(self) -> str: ...
    @property
    def subject_id(self) -> str: ...
    @property
    def fields(self) -> bytes: ...


class ServiceBase:
    """Data map, keys and clock; validation, customers' ciphers, loading and decrypting."""

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
        self.lookups = Lookups(datamap, keys.derived)

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

    def _cipher(self, key: SubjectKey) -> FieldCipher:
        return self.keys.open_subject_key(
            region=key.region,
            subject_id=key.subject_id,
            key_id=key.key_id,
            wrapped_key=key.wrapped_key,
        )

    def _subject_ciphers(
        self, *, db_session: Session, wanted: Mapping[str, str]
    ) -> tuple[dict[str, tuple[str, FieldCipher]], dict[str, NewSubjectKey]]:
        """Region and cipher for each customer in ``wanted`` (id -> region), making new keys
        (not yet stored) for customers the database does not know."""
        existing = keys_repo.get_many(db_session=db_session, subject_ids=list(wanted))
        ciphers: dict[str, tuple[str, FieldCipher]] = {}
        fresh: dict[str, NewSubjectKey] = {}
        new_key = self.keys.new_subject_key
        for subject_id, region in wanted.items():
            key = existing.get(subject_id)
            if key is not None:
                ciphers[subject_id] = (key.region, self._cipher(key))
            else:
                made = new_key(region=region, subject_id=subject_id)
                fresh[subject_id] = made
                ciphers[subject_id] = (region, made.cipher)
        return ciphers, fresh

    def _encrypt_row(  # noqa: PLR0917 - private, called in two places with the same shape
        self,
        item: RecordCreate,
        values: Mapping[str, str],
        record_id: str,
        cipher: FieldCipher,
        region: str,
        tokens: str | None,
    ) -> tuple[str, str, str, str, bytes, str | None]:
        encrypted = cipher.encrypt_fields(
            values, field_context_format(item.collection, record_id, item.subject_id)
        )
        return (
            record_id,
            item.collection,
            item.subject_id,
            region,
            pack_fields(encrypted),
            tokens,
        )

    def _unique_card_tokens(
        self,
        *,
        db_session: Session,
        lookups: list[tuple[str, str, str, str, bytes]],
        values_of: Mapping[str, Mapping[str, str]],
    ) -> dict[str, dict[str, str]]:
        """Replace card tokens already issued (in the database or earlier in ``lookups``).

        Card tokens keep BIN and last four, so two cards sharing both have only the middle
        digits (a million values for 16 digits) to tell their tokens apart: collisions are
        rare but real in a large shop, and a token must name one card. Returns the new tokens
        per record id; ``lookups`` is changed in place.
        """
        cards = [i for i, row in enumerate(lookups) if row[2] == CARD]
        if not cards:
            return {}
        taken = repository.existing_digests(
            db_session=db_session, kind=CARD, digests=[lookups[i][4] for i in cards]
        )
        replaced: dict[str, dict[str, str]] = {}
        seen: set[bytes] = set()
        for index in cards:
            record_id, field, kind, collection, digest = lookups[index]
            while digest in taken or digest in seen:
                digest = new_card_token(values_of[record_id][field]).encode()
                if repository.existing_digests(db_session=db_session, kind=CARD, digests=[digest]):
                    taken.add(digest)
            if digest != lookups[index][4]:
                lookups[index] = (record_id, field, kind, collection, digest)
                replaced.setdefault(record_id, {})[field] = digest.decode()
            seen.add(digest)
        return replaced

    def _load(self, *, db_session: Session, collection: str, record_id: str) -> RecordRow:
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

    def _row_cipher(self, row: RecordRow) -> FieldCipher:
        return self.keys.open_subject_key(
            region=row.key_region,
            subject_id=row.subject_id,
            key_id=row.key_id,
            wrapped_key=row.wrapped_key,
        )

    @staticmethod
    def _stored(record: StoredFields) -> dict[str, bytes]:
        try:
            return unpack_fields(bytes(record.fields))
        except ValueError as exc:
            raise IntegrityViolation(
                f"record {record.id} has a corrupt field map ({exc})", code="record_corrupt"
            ) from exc

    def _decrypt(self, record: StoredFields, cipher: FieldCipher) -> dict[str, str]:
        stored = self._stored(record)
        return cipher.decrypt_fields(
            stored, field_context_format(record.collection, record.id, record.subject_id)
        )

    @staticmethod
    def _read(
        record: Record | RecordRow, values: dict[str, str], held: tuple[str, ...] | None = None
    ) -> RecordRead:
        return RecordRead(
            id=record.id,
            collection=record.collection,
            subject_id=record.subject_id,
            region=record.region,
            values=values,
            version=record.version,
            created_at=record.created_at,
            updated_at=record.updated_at,
            stored_tokens=json.loads(record.tokens) if record.tokens else {},
            held=tuple(values) if held is None else held,
        )
