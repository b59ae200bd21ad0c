"""``/v1/detokenize`` and ``/v1/collections/{collection}/search``: tokens in, views or ids out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from privault.api.deps import (
    CollectionName,
    PrincipalDep,
    Purpose,
    SessionDep,
    VaultDep,
    finish,
    logged_purpose,
)
from privault.audit import AuditRecord
from privault.policy import DetokenizeResult, SearchMatch, detokenize, search

router = APIRouter(prefix="/v1", tags=["tokens"])

MAX_TOKENS = 1000


class DetokenizeIn(BaseModel):
    """Tokens to turn back into values."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"tokens": ["tok_eu_mfrggzdfmztwq2lkmnxw6z3pnzxxi4lsmfzw"]}]
        },
    )

    tokens: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        min_length=1, max_length=MAX_TOKENS
    )


class DetokenizeItem(BaseModel):
    """One token's answer: its field in the granted view, or an error code."""

    token: str
    collection: str | None = None
    field: str | None = None
    record_id: str | None = None
    view: str | None = Field(default=None, examples=["plain"])
    value: str | None = None
    error: str | None = Field(
        default=None,
        description=(
            "`not_found` (unknown, forged, deleted or erased), `field_not_granted`, "
            "`consent_missing`, `processing_restricted` or `region_not_granted`."
        ),
        examples=[None],
    )


class DetokenizeOut(BaseModel):
    """One result per token, in the order sent."""

    results: list[DetokenizeItem]


class SearchIn(BaseModel):
    """An exact-match search on a searchable field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"field": "email", "value": "Ada@Example.com"}]},
    )

    field: str = Field(min_length=1, max_length=63)
    value: str = Field(min_length=1, max_length=1000)


class SearchMatchOut(BaseModel):
    """A record holding the value: its id, customer and the field's token (never the value)."""

    record_id: str
    subject_id: str
    token: str


class SearchOut(BaseModel):
    """Every record holding the value that the caller may read, oldest first."""

    matches: list[SearchMatchOut]


def _detokenize_events(
    event: AuditRecord, results: Sequence[DetokenizeResult]
) -> list[AuditRecord]:
    """One event per customer and collection read, naming the fields returned."""
    read: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in results:
        if result.subject_id and result.collection and result.field:
            read[(result.subject_id, result.collection)].add(result.field)
    refused = sum(1 for result in results if result.error)
    events = [
        replace(
            event,
            subject_id=subject_id,
            collection=collection,
            fields_returned=sorted(fields),
            detail={"tokens": len(results), "refused": refused},
        )
        for (subject_id, collection), fields in read.items()
    ]
    return events or [
        replace(event, outcome="not_found", detail={"tokens": len(results), "refused": refused})
    ]


@router.post(
    "/detokenize",
    summary="Detokenize",
    responses={403: {"description": "The purpose is not granted to this API key."}},
)
def detokenize_tokens(
    body: DetokenizeIn,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    purpose: Purpose = None,
) -> DetokenizeOut:
    """Each token's value in the view the key's role is granted for the purpose, in order."""
    event = AuditRecord(
        actor=principal.key_id,
        operation="token.detokenize",
        purpose=logged_purpose(vault, purpose),
    )
    results = vault.audited(
        event,
        lambda session: detokenize(
            db_session=session,
            records=vault.records,
            principal=principal,
            purpose=purpose,
            tokens=body.tokens,
        ),
        lambda found: _detokenize_events(event, found),
        db_session=db_session,
    )
    finish(db_session)
    return DetokenizeOut(
        results=[
            DetokenizeItem(
                token=r.token,
                collection=r.collection,
                field=r.field,
                record_id=r.record_id,
                view=r.view,
                value=r.value,
                error=r.error,
            )
            for r in results
        ]
    )


def _search_events(event: AuditRecord, found: Sequence[SearchMatch]) -> list[AuditRecord]:
    """One event per customer found (a search reveals that the customer exists)."""
    subjects = dict.fromkeys(match.subject_id for match in found)
    return [
        replace(event, subject_id=subject_id, detail={"matches": len(found)})
        for subject_id in subjects
    ] or [replace(event, detail={"matches": 0})]


@router.post(
    "/collections/{collection}/search",
    summary="Search without decryption",
    responses={
        403: {"description": "The purpose or the field is not granted to this API key."},
        404: {"description": "Unknown collection."},
        422: {"description": "The field is not searchable, or the value is malformed."},
    },
)
def search_records(
    collection: CollectionName,
    body: SearchIn,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    purpose: Purpose = None,
) -> SearchOut:
    """Records whose field equals the value (normalised), by blind index: ids and tokens only."""
    event = AuditRecord(
        actor=principal.key_id,
        operation="record.search",
        collection=collection,
        fields_requested=[body.field],
        purpose=logged_purpose(vault, purpose),
    )
    found = vault.audited(
        event,
        lambda session: search(
            db_session=session,
            records=vault.records,
            principal=principal,
            purpose=purpose,
            collection=collection,
            field=body.field,
            value=body.value,
        ),
        lambda matches: _search_events(event, matches),
        db_session=db_session,
    )
    finish(db_session)
    return SearchOut(
        matches=[
            SearchMatchOut(record_id=m.record_id, subject_id=m.subject_id, token=m.token)
            for m in found
        ]
    )
