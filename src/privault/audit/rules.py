"""What an audit event is, and its canonical bytes (the Merkle leaf). Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
OUTCOMES = frozenset({"ok", "denied", "not_found", "invalid", "error"})


@dataclass(frozen=True)
class AuditRecord:
    """What happened, as a caller reports it. Names only: never a value, token or secret.

    ``subject_id`` is turned into a keyed pseudonym by the log and never stored.
    """

    actor: str
    operation: str
    outcome: str = "ok"
    collection: str | None = None
    fields_requested: Sequence[str] | None = None
    fields_returned: Sequence[str] | None = None
    purpose: str | None = None
    subject_id: str | None = None
    request_id: str | None = None
    detail: Mapping[str, int | str | bool] = field(default_factory=dict)


def names_json(names: Sequence[str] | None) -> str | None:
    """A list of field names as stored (sorted JSON), or None."""
    return None if names is None else json.dumps(sorted(names), separators=(",", ":"))


def canonical_event(
    *,
    leaf_index: int,
    event_id: str,
    at: datetime,
    actor: str,
    operation: str,
    collection: str | None,
    fields_requested: str | None,
    fields_returned: str | None,
    purpose: str | None,
    subject: str | None,
    outcome: str,
    request_id: str | None,
    detail: str | None,
) -> bytes:
    """The bytes hashed into the event's leaf: every stored column, in a fixed encoding.

    The leaf index is part of them, so moving an event to another position changes its hash.
    """
    # Keys in sorted order, encoded by one shared encoder without sort_keys: the same bytes
    # as json.dumps(..., sort_keys=True), at a third of the cost (verification runs this once
    # per stored event).
    document = {
        "actor": actor,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "coll": collection,
        "detail": detail,
        "i": leaf_index,
        "id": event_id,
        "op": operation,
        "outcome": outcome,
        "purpose": purpose,
        "req": fields_requested,
        "request": request_id,
        "ret": fields_returned,
        "subject": subject,
        "v": 1,
    }
    return _ENCODE(document).encode()
