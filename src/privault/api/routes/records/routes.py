"""``/v1/collections/{collection}/records``: store, read, change and delete customer records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from privault.api.deps import (
    CollectionName,
    PrincipalDep,
    Purpose,
    SessionDep,
    VaultDep,
    finish,
    logged_purpose,
)
from privault.api.errors import status_for
from privault.api.routes.records.schemas import (
    MAX_FIELDS,
    BatchItem,
    BatchOut,
    ItemError,
    RecordBatchIn,
    RecordIn,
    RecordOut,
    RecordPatch,
    StoredRecordOut,
)
from privault.audit import AuditRecord
from privault.errors import InvalidInput, PrivaultError
from privault.idempotency import check_key, recall, remember, request_hash
from privault.policy import Principal, RecordView, check_write, read_record
from privault.vault import RecordCreate, StoredRecord, Vault

router = APIRouter(prefix="/v1/collections/{collection}/records", tags=["records"])


RecordId = Annotated[
    str,
    Path(
        pattern=r"^rec_[0-9a-f]{32}$",
        description="The record id privault gave when the record was stored.",
        examples=["rec_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"],
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes a retry safe: the same key and request replay the first answer.",
        examples=["order-81723-store-customer"],
    ),
]


def _stored_out(stored: StoredRecord, version: int = 1) -> StoredRecordOut:
    return StoredRecordOut(
        id=stored.id,
        collection=stored.collection,
        subject_id=stored.subject_id,
        region=stored.region,
        version=version,
        tokens=stored.tokens,
    )


def _write_events(
    principal: Principal, collection: str, stored: Sequence[StoredRecord], event: AuditRecord
) -> list[AuditRecord]:
    """One event per customer written (their access history names every write)."""
    by_subject: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for item in stored:
        by_subject[item.subject_id].update(item.tokens)
        counts[item.subject_id] += 1
    return [
        replace(
            event,
            subject_id=subject_id,
            fields_requested=sorted(fields),
            detail={"records": counts[subject_id]},
        )
        for subject_id, fields in by_subject.items()
    ] or [replace(event, outcome="invalid")]


def _store(
    *,
    vault: Vault,
    db_session: Session,
    principal: Principal,
    collection: str,
    body: RecordIn | RecordBatchIn,
) -> tuple[int, dict[str, Any]]:
    items = body.records if isinstance(body, RecordBatchIn) else [body]
    creates = [RecordCreate(collection, i.subject_id, i.values, i.region) for i in items]
    event = AuditRecord(actor=principal.key_id, operation="record.write", collection=collection)

    def action(session: Session) -> tuple[list[StoredRecord], dict[int, PrivaultError]]:
        check_write(vault.datamap, principal, collection)
        failures: dict[int, PrivaultError] = {}
        batch = vault.records.prepare_many(
            db_session=session,
            records=creates,
            failures=failures if isinstance(body, RecordBatchIn) else None,
        )
        if not batch.rows:
            return [], failures
        return (
            vault.records.write_prepared(db_session=session, batch=batch, with_tokens=True),
            failures,
        )

    stored, failures = vault.audited(
        event,
        action,
        lambda result: _write_events(principal, collection, result[0], event),
        db_session=db_session,
    )
    if not isinstance(body, RecordBatchIn):
        return 201, _stored_out(stored[0]).model_dump(mode="json")
    landed = iter(stored)
    results = []
    for index in range(len(items)):
        error = failures.get(index)
        if error is None:
            results.append(BatchItem(index=index, status=201, record=_stored_out(next(landed))))
        else:
            results.append(
                BatchItem(
                    index=index,
                    status=status_for(error),
                    error=ItemError(code=error.code, detail=error.message),
                )
            )
    out = BatchOut(stored=len(stored), failed=len(failures), results=results)
    return 200, out.model_dump(mode="json")


@router.post(
    "",
    summary="Store records",
    response_model=None,
    responses={
        201: {"model": StoredRecordOut, "description": "One record stored."},
        200: {"model": BatchOut, "description": "A batch answered item by item."},
        403: {"description": "The key's role may not write this collection."},
        409: {"description": "The Idempotency-Key was used for another request."},
    },
)
def store(
    collection: CollectionName,
    body: Annotated[RecordIn | RecordBatchIn, Body()],
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Store one record (201) or a batch (200, per-item results); answers ids and tokens."""
    if idempotency_key is None:
        status, content = _store(
            vault=vault, db_session=db_session, principal=principal,
            collection=collection, body=body,
        )  # fmt: skip
        return JSONResponse(content, status_code=status)
    key = check_key(idempotency_key)
    now = vault.records.clock.now()
    fingerprint = request_hash(
        method="POST",
        route=f"/v1/collections/{collection}/records",
        body=body.model_dump(mode="json"),
    )
    replay = recall(
        db_session=db_session, api_key_id=principal.key_id, key=key,
        fingerprint=fingerprint, now=now,
    )  # fmt: skip
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    status, content = _store(
        vault=vault, db_session=db_session, principal=principal, collection=collection, body=body
    )
    remember(
        db_session=db_session, api_key_id=principal.key_id, key=key, fingerprint=fingerprint,
        status_code=status, body=content, now=now,
    )  # fmt: skip
    return JSONResponse(content, status_code=status)


def _fields_query(fields: str | None) -> list[str] | None:
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    if not names or len(names) > MAX_FIELDS:
        raise InvalidInput(f"fields must name 1 to {MAX_FIELDS} fields", code="invalid_fields")
    return names


@router.get(
    "/{record_id}",
    summary="Read a record",
    responses={
        403: {"description": "Purpose, field, customer or region not granted."},
        404: {"description": "No such record (or it was deleted or erased)."},
    },
)
def get(
    collection: CollectionName,
    record_id: RecordId,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    purpose: Purpose = None,
    fields: Annotated[
        str | None,
        Query(
            max_length=4096,
            description="Comma-separated field names to read (default: every field granted).",
            examples=["email,phone"],
        ),
    ] = None,
) -> RecordOut:
    """Read a record: each field in the view the key's role is granted for the purpose."""
    wanted = _fields_query(fields)
    event = AuditRecord(
        actor=principal.key_id,
        operation="record.read",
        collection=collection,
        purpose=logged_purpose(vault, purpose),
        fields_requested=wanted,
        detail={"record": record_id},
    )

    def describe(view: RecordView) -> AuditRecord:
        return replace(event, subject_id=view.subject_id, fields_returned=list(view.fields))

    view = vault.audited(
        event,
        lambda session: read_record(
            db_session=session,
            records=vault.records,
            principal=principal,
            purpose=purpose,
            collection=collection,
            record_id=record_id,
            fields=wanted,
        ),
        describe,
        db_session=db_session,
    )
    finish(db_session)
    return RecordOut(
        id=view.id,
        collection=view.collection,
        subject_id=view.subject_id,
        region=view.region,
        version=view.version,
        created_at=view.created_at,
        updated_at=view.updated_at,
        fields=view.fields,
        views=view.views,
        withheld=view.withheld,
    )


@router.patch(
    "/{record_id}",
    summary="Change a record",
    responses={
        403: {"description": "The key's role may not write this collection."},
        404: {"description": "No such record."},
        409: {"description": "The record is not at `expected_version`, or changed meanwhile."},
    },
)
def patch(
    collection: CollectionName,
    record_id: RecordId,
    body: RecordPatch,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> StoredRecordOut:
    """Change fields (``null`` removes one); they are re-encrypted, re-tokenised, re-indexed."""
    event = AuditRecord(
        actor=principal.key_id,
        operation="record.update",
        collection=collection,
        fields_requested=list(body.values),
        detail={"record": record_id},
    )

    def action(session: Session) -> StoredRecordOut:
        check_write(vault.datamap, principal, collection)
        record = vault.records.update(
            db_session=session, collection=collection, record_id=record_id,
            values=body.values, expected_version=body.expected_version,
        )  # fmt: skip
        return StoredRecordOut(
            id=record.id,
            collection=record.collection,
            subject_id=record.subject_id,
            region=record.region,
            version=record.version,
            tokens=vault.records.tokens_of(record),
        )

    return vault.audited(
        event, action, lambda out: replace(event, subject_id=out.subject_id), db_session=db_session
    )


@router.delete(
    "/{record_id}",
    summary="Delete a record",
    status_code=204,
    responses={
        403: {"description": "The key's role may not write this collection."},
        404: {"description": "No such record."},
    },
)
def remove(
    collection: CollectionName,
    record_id: RecordId,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    """Delete a record with its tokens and lookups: its tokens stop resolving."""
    event = AuditRecord(
        actor=principal.key_id,
        operation="record.delete",
        collection=collection,
        detail={"record": record_id},
    )

    def action(session: Session) -> str:
        check_write(vault.datamap, principal, collection)
        return vault.records.delete(db_session=session, collection=collection, record_id=record_id)

    vault.audited(
        event,
        action,
        lambda subject_id: replace(event, subject_id=subject_id),
        db_session=db_session,
    )
    return Response(status_code=204)
