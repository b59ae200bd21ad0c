"""What an audit event is, and its canonical bytes (the Merkle leaf). Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_ESCAPE = json.encoder.encode_basestring_ascii


def _quote(value: str | None) -> str:
    """A JSON string literal (ASCII-escaped), or ``null``."""
    return "null" if value is None else str(_ESCAPE(value))


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


def canonical_at(at: datetime | str) -> str:
    """The canonical text of an event time: ISO 8601, UTC, microseconds, ``+00:00``.

    Accepts a datetime, or the text SQLite stores (``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC).
    """
    if isinstance(at, str):
        if len(at) == 26 and at[10] == " ":  # how SQLAlchemy stores it on SQLite: UTC, micros
            return at.replace(" ", "T", 1) + "+00:00"
        parsed = datetime.fromisoformat(at)
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_event(
    *,
    leaf_index: int,
    event_id: str,
    at: datetime | str,
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
    # A JSON object with keys in sorted order, written directly: verification rebuilds it for
    # every stored event, and this costs a third of json.dumps(..., sort_keys=True).
    q = _quote
    return (
        f'{{"actor":{q(actor)},"at":"{canonical_at(at)}","coll":{q(collection)},'
        f'"detail":{q(detail)},"i":{int(leaf_index)},"id":{q(event_id)},'
        f'"op":{q(operation)},"outcome":{q(outcome)},"purpose":{q(purpose)},'
        f'"req":{q(fields_requested)},"request":{q(request_id)},"ret":{q(fields_returned)},'
        f'"subject":{q(subject)},"v":1}}'
    ).encode()


def canonical_row(row: tuple[Any, ...]) -> bytes:
    """:func:`canonical_event` of a raw row in stored column order (the verification loop)."""
    e = _ESCAPE
    (index, event_id, at, actor, operation, collection, requested, returned, purpose, subject,
     outcome, request_id, detail) = row[:13]  # fmt: skip
    return (
        f'{{"actor":{e(actor)},"at":"{canonical_at(at)}",'
        f'"coll":{"null" if collection is None else e(collection)},'
        f'"detail":{"null" if detail is None else e(detail)},"i":{int(index)},'
        f'"id":{e(event_id)},"op":{e(operation)},"outcome":{e(outcome)},'
        f'"purpose":{"null" if purpose is None else e(purpose)},'
        f'"req":{"null" if requested is None else e(requested)},'
        f'"request":{"null" if request_id is None else e(request_id)},'
        f'"ret":{"null" if returned is None else e(returned)},'
        f'"subject":{"null" if subject is None else e(subject)},"v":1}}'
    ).encode()
