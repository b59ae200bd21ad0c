"""Tokens and search without decryption: what a token names, records by blind index."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Final

from sqlalchemy.orm import Session

from privault.crypto import field_context_format
from privault.errors import InvalidInput
from privault.vault import repository
from privault.vault.lookups import CARD, DTOKEN, SEARCH, dtoken_digest
from privault.vault.schemas import (
    RecordRead,
    TokenMatch,
)
from privault.vault.service.base import ServiceBase

_CARD_TOKEN_DIGITS: Final = range(12, 20)


class LookupMethods(ServiceBase):
    """Resolving tokens and searching blind indexes (nothing is decrypted)."""

    def tokens_of(
        self, record: RecordRead, fields: Collection[str] | None = None
    ) -> dict[str, str]:
        """The token of each field of a record (every field it holds, or ``fields``)."""
        return self.lookups.tokens_of(
            region=record.region,
            collection=record.collection,
            record_id=record.id,
            fields=record.values if fields is None else fields,
            stored=record.stored_tokens,
        )

    def resolve_token(  # noqa: PLR0911 - one early return per token kind and failure
        self, *, db_session: Session, token: str
    ) -> list[TokenMatch]:
        """The records and field a token names (several for a deterministic token), or none.

        Forged, malformed, deleted and erased tokens all give an empty list: the caller cannot
        tell them apart, and nothing is decrypted.
        """
        if not isinstance(token, str) or len(token) > 256:
            return []
        if token.isascii() and token.isdigit() and len(token) in _CARD_TOKEN_DIGITS:
            return self._matches(db_session, CARD, token.encode(), token)
        if token.startswith("tok_") and "_d_" in token:
            try:
                digest = dtoken_digest(token)
            except ValueError:
                return []
            return self._matches(db_session, DTOKEN, digest, token)
        target = self.lookups.resolve_pointer(token)
        if target is None or target.collection not in self._field_types:
            return []
        row = repository.get_with_key(
            db_session=db_session, collection=target.collection, record_id=target.record_id
        )
        if row is None or row.region != target.region or target.field not in self._stored(row):
            return []
        return [
            TokenMatch(
                record_id=row.id,
                collection=row.collection,
                subject_id=row.subject_id,
                region=row.region,
                field=target.field,
                token=token,
                row=row,
            )
        ]

    def field_value(self, *, db_session: Session, match: TokenMatch) -> str | None:
        """Decrypt the one field a token or search names; None if it is gone meanwhile."""
        row = match.row or repository.get_with_key(
            db_session=db_session, collection=match.collection, record_id=match.record_id
        )
        if row is None:
            return None
        ciphertext = self._stored(row).get(match.field)
        if ciphertext is None:
            return None
        values = self._row_cipher(row).decrypt_fields(
            {match.field: ciphertext},
            field_context_format(row.collection, row.id, row.subject_id),
        )
        return values[match.field]

    def _matches(
        self, db_session: Session, kind: str, digest: bytes, token: str | None
    ) -> list[TokenMatch]:
        matches = []
        for hit in repository.find_by_digest(db_session=db_session, kind=kind, digest=digest):
            if kind == DTOKEN and token is not None and not token.startswith(f"tok_{hit.region}_"):
                continue  # a token names its region; the same body in another region is not it
            found = (
                token
                or self.lookups.tokens_of(
                    region=hit.region,
                    collection=hit.collection,
                    record_id=hit.record_id,
                    fields=[hit.field],
                    stored=json.loads(hit.tokens) if hit.tokens else {},
                )[hit.field]
            )
            matches.append(
                TokenMatch(
                    record_id=hit.record_id,
                    collection=hit.collection,
                    subject_id=hit.subject_id,
                    region=hit.region,
                    field=hit.field,
                    token=found,
                )
            )
        return matches

    def search(
        self, *, db_session: Session, collection: str, field: str, value: object
    ) -> list[TokenMatch]:
        """Records whose ``field`` equals ``value`` once normalised, found by the blind index.

        Nothing is decrypted; each match carries the field's token. The field must be declared
        ``searchable`` in the data map.
        """
        types = self._types(collection)
        plan = self.lookups.plans[collection].get(field)
        if plan is None:
            raise InvalidInput(
                f"field '{field}' is not declared in collection '{collection}'",
                code="unknown_field",
                field=field,
            )
        if not plan.searchable:
            raise InvalidInput(
                f"field '{field}' is not searchable (mark it `searchable: true` in the data map)",
                code="field_not_searchable",
                field=field,
            )
        if not isinstance(value, str) or not value.strip() or len(value) > 1000:
            raise InvalidInput(
                "search value must be a non-empty string of at most 1000 characters",
                code="invalid_value",
                field=field,
            )
        digest = self.lookups.search_digest(collection, field, types[field], value)
        found: list[TokenMatch] = []
        for match in self._matches(db_session, SEARCH, digest, None):
            if match.collection == collection and match.field == field:
                found.append(match)
        return found
