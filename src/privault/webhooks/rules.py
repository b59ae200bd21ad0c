"""Outgoing webhooks, pure: event names, payloads, signatures, backoff. No I/O.

A delivery is signed like Stripe's: the header ``Privault-Signature: t=<unix>,v1=<hex>`` where
``v1`` is HMAC-SHA256 of ``f"{t}.".encode() + body`` under the endpoint's secret. The time is
signed with the body, so a receiver that refuses old times refuses replays of old deliveries;
it dedupes repeats of fresh ones on ``Privault-Event-Id``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from privault.errors import InvalidInput

SIGNATURE_HEADER = "Privault-Signature"
EVENT_ID_HEADER = "Privault-Event-Id"
DEFAULT_TOLERANCE_S = 300
EVENT_TYPE = re.compile(r"^[a-z][a-z_]{0,30}\.[a-z][a-z_]{0,30}$")
# Completions that downstream systems act on have names of their own.
NAMED_COMPLETIONS = frozenset({"erasure", "rectification"})


def request_event_type(request_type: str, state: str) -> str:
    """The event of a request reaching ``state``: ``erasure.completed``, ``request.denied`` ..."""
    if state == "completed" and request_type in NAMED_COMPLETIONS:
        return f"{request_type}.completed"
    return f"request.{state}"


def check_event_type(event_type: str) -> str:
    """An event type as ``kind.action`` in lower case; InvalidInput otherwise."""
    if not EVENT_TYPE.fullmatch(event_type):
        raise InvalidInput("event type must look like kind.action", code="invalid_event_type")
    return event_type


def subscribed(patterns: Iterable[str], event_type: str) -> bool:
    """Whether one of an endpoint's patterns (``*`` wildcards) names ``event_type``."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def payload(
    *, event_id: str, event_type: str, occurred_at: datetime, data: Mapping[str, Any]
) -> bytes:
    """The body of a delivery: compact JSON ``{id, type, occurred_at, data}`` in key order."""
    document = {
        "id": event_id,
        "type": event_type,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "data": dict(data),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _mac(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, *, timestamp: int) -> str:
    """The ``Privault-Signature`` header value of ``body`` sent at ``timestamp`` (unix seconds)."""
    if not secret:
        raise InvalidInput("a signing secret must not be empty", code="empty_secret")
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    secret: bytes | str,
    header: str | None,
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """For receivers: whether ``header`` signs ``body`` under ``secret`` within the tolerance.

    Pass the raw body as received (before any JSON parsing). Several ``v1`` values are
    accepted (one per secret during a rotation); the time must be within ``tolerance_s``
    seconds of ``now`` (default: the system clock) either way.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    if not key or not header or len(header) > 4096:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = _mac(key, timestamp, body)
    # Every candidate is compared (no early exit on the first match's position).
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def backoff_delay(attempts: int, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base * 2^(n-1), capped.

    ``jitter`` in [0, 1) takes up to half off the delay, so deliveries that failed together
    (an endpoint outage) do not all come back at once.
    """
    if attempts < 1:
        raise InvalidInput("attempts start at 1", code="invalid_attempts")
    if not 0 <= jitter < 1:
        raise InvalidInput("jitter must be in [0, 1)", code="invalid_jitter")
    exponent = min(attempts - 1, 60)
    delay = min(cap_s, base_s * 2.0**exponent)
    return delay * (1 - jitter / 2)


def error_text(status: int | None, exception: BaseException | None = None) -> str:
    """What is kept of a failed attempt: the status or the exception's kind, never a body."""
    if exception is not None:
        return type(exception).__name__[:200]
    return f"HTTP {status}"
