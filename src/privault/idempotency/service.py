"""Remember the answer to a write sent with an ``Idempotency-Key``; replay it on a retry.

The answer is stored in the same transaction as the write it answers, so either both land or
neither does. A second request racing the first under the same key either waits for it and
finds its answer, or (PostgreSQL, both in flight) is refused with 409 and can retry.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privault.db.bulk import insert_rows
from privault.errors import Conflict, InvalidInput
from privault.idempotency.models import IdempotentResponse

__all__ = ["KEEP_FOR", "Replay", "check_key", "recall", "remember", "request_hash"]

# How long an answer is kept: a day covers any sensible retry policy.
KEEP_FOR: Final = timedelta(hours=24)
_KEY_RE: Final = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Replay:
    """A stored answer to send again."""

    status_code: int
    body: Any


def check_key(key: object) -> str:
    """Return a well-formed Idempotency-Key (1-255 visible ASCII characters) or raise."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidInput(
            "Idempotency-Key must be 1-255 visible ASCII characters", code="invalid_idempotency_key"
        )
    return key


def request_hash(*, method: str, route: str, body: Any) -> bytes:
    """SHA-256 of what makes two requests the same request (method, route, canonical body)."""
    canonical = json.dumps(
        [method.upper(), route, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def recall(
    *, db_session: Session, api_key_id: str, key: str, fingerprint: bytes, now: datetime
) -> Replay | None:
    """The first answer given under ``key``, or None if there is none (or it expired).

    Raises Conflict when the key was used for a different request.
    """
    stored = db_session.scalar(
        select(IdempotentResponse).where(
            IdempotentResponse.api_key_id == api_key_id,
            IdempotentResponse.key == key,
            IdempotentResponse.created_at > now - KEEP_FOR,
        )
    )
    if stored is None:
        return None
    if bytes(stored.request_hash) != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            code="idempotency_key_reused",
        )
    return Replay(status_code=stored.status_code, body=json.loads(stored.body))


def remember(
    *,
    db_session: Session,
    api_key_id: str,
    key: str,
    fingerprint: bytes,
    status_code: int,
    body: Any,
    now: datetime,
) -> None:
    """Store the answer in the caller's transaction; Conflict if another request got there."""
    table = IdempotentResponse.__table__
    db_session.execute(
        delete(IdempotentResponse)
        .where(
            IdempotentResponse.api_key_id == api_key_id,
            IdempotentResponse.created_at <= now - KEEP_FOR,
        )
        .execution_options(synchronize_session=False)
    )
    inserted = insert_rows(
        db_session,
        table,  # type: ignore[arg-type]
        [(api_key_id, key, fingerprint, status_code, json.dumps(body, separators=(",", ":")))],
        columns=("api_key_id", "key", "request_hash", "status_code", "body"),
        constants={"created_at": now},
        skip_conflicts_on=("api_key_id", "key"),
    )
    if inserted == 0:
        raise Conflict(
            "another request with this Idempotency-Key is in progress; retry it",
            code="idempotency_key_in_use",
        )
