"""``/v1/audit``: read the log, prove an event, fetch the latest checkpoint (auditor role)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from privault.api.deps import PrincipalDep, SessionDep, VaultDep
from privault.audit import AuditRecord
from privault.audit import repository as audit_repository
from privault.audit.models import AuditEvent
from privault.errors import InvalidInput, NotFound, PermissionDenied
from privault.policy import Principal

router = APIRouter(prefix="/v1/audit", tags=["audit"])
AUDITOR_ROLE = "auditor"


class AuditEventRead(BaseModel):
    """One audit event: names and pseudonyms only, never values."""

    id: str = Field(examples=["evt_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"])
    leaf_index: int = Field(description="Position in the Merkle tree.")
    at: datetime
    actor: str = Field(description="API key id, `operator:<login>`, `library` or `privault`.")
    operation: str = Field(examples=["record.read"])
    collection: str | None = None
    fields_requested: list[str] | None = None
    fields_returned: list[str] | None = None
    purpose: str | None = None
    subject: str | None = Field(default=None, description="Keyed pseudonym of the customer.")
    outcome: str = Field(examples=["ok"])
    request_id: str | None = None
    detail: dict[str, object] | None = None
    leaf_hash: str = Field(description="Hex SHA-256 leaf hash.")


class AuditPage(BaseModel):
    """A page of events; pass ``next_after`` as ``after`` for the next page."""

    events: list[AuditEventRead]
    next_after: int | None = Field(description="Cursor for the next page, or null at the end.")


class CheckpointRead(BaseModel):
    """The latest signed checkpoint."""

    tree_size: int
    root_hash: str = Field(description="Hex root hash.")
    created_at: datetime
    key_id: str
    text: str = Field(description="The signed checkpoint, verifiable with the public key.")


def _utc(value: datetime | None, name: str) -> datetime | None:
    """A time filter in UTC (a time without zone is read as UTC); out of range is 422."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"'{name}' is out of range", code="invalid_time") from None


def _auditor(principal: Principal) -> None:
    if principal.role != AUDITOR_ROLE:
        raise PermissionDenied("only the auditor role reads the audit log", code="not_auditor")


def _event(event: AuditEvent) -> AuditEventRead:
    return AuditEventRead(
        id=event.id,
        leaf_index=event.leaf_index,
        at=event.at,
        actor=event.actor,
        operation=event.operation,
        collection=event.collection,
        fields_requested=json.loads(event.fields_requested or "null"),
        fields_returned=json.loads(event.fields_returned or "null"),
        purpose=event.purpose,
        subject=event.subject,
        outcome=event.outcome,
        request_id=event.request_id,
        detail=json.loads(event.detail or "null"),
        leaf_hash=bytes(event.leaf_hash).hex(),
    )


@router.get("/events", summary="List audit events")
def list_events(
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    subject: Annotated[str | None, Query(max_length=64, description="Pseudonym.")] = None,
    customer_id: Annotated[
        str | None, Query(max_length=255, description="Customer id (pseudonymised here).")
    ] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    operation: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: Annotated[int, Query(ge=-1, le=2**62, description="Leaf index cursor.")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Events matching the filters, oldest first (the auditor role only)."""
    _auditor(principal)
    pseudonym = vault.audit.pseudonym(customer_id) if customer_id is not None else subject
    events = audit_repository.list_events(
        db_session=db_session, subject=pseudonym, actor=actor, operation=operation,
        since=_utc(since, "since"), until=_utc(until, "until"), after_index=after, limit=limit,
    )  # fmt: skip
    vault.audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=principal.key_id, operation="audit.read", detail={"events": len(events)}
        ),
    )
    return AuditPage(
        events=[_event(e) for e in events],
        next_after=events[-1].leaf_index if len(events) == limit else None,
    )


@router.get("/events/{event_id}/proof", summary="Inclusion proof of an event")
def event_proof(
    event_id: str, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> dict[str, object]:
    """An RFC 9162 inclusion proof of the event in the latest checkpointed tree."""
    _auditor(principal)
    return vault.audit.inclusion(db_session=db_session, event_id=event_id)


@router.get("/checkpoints/latest", summary="Latest signed checkpoint")
def latest_checkpoint(db_session: SessionDep, principal: PrincipalDep) -> CheckpointRead:
    """The newest signed checkpoint of the log."""
    _auditor(principal)
    latest = audit_repository.latest_checkpoint(db_session=db_session)
    if latest is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    return CheckpointRead(
        tree_size=latest.tree_size,
        root_hash=bytes(latest.root_hash).hex(),
        created_at=latest.created_at,
        key_id=latest.key_id,
        text=latest.text,
    )
