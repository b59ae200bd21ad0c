"""Errors the SDK raises.

    ClientError              root: anything the SDK raises on purpose (besides ValueError)
     ├── ApiError            privault answered with an error (problem+json), or an answer
     │                       the SDK could not read
     └── ApiConnectionError  privault could not be reached, or did not answer in time

Messages and attributes carry what the server said (status, code, detail) and never the
request: no values, no customer ids, no URL paths (they hold customer and record ids).
Invalid arguments raise ``ValueError`` before any request is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["ApiConnectionError", "ApiError", "ClientError", "Issue", "parse_retry_after"]

# Server-supplied text is shown, but bounded: a misbehaving proxy could answer megabytes.
_MAX_TEXT = 500


class ClientError(Exception):
    """Root of every error the SDK raises on purpose."""


@dataclass(frozen=True)
class Issue:
    """One problem with a malformed request: where (``loc``) and what (``msg``), never the value."""

    loc: tuple[str, ...]
    msg: str


class ApiError(ClientError):
    """privault answered with an error.

    ``status`` is the HTTP status, ``code`` the stable machine-readable code of the problem
    (``consent_missing``, ``version_mismatch``, ...), ``detail`` the human explanation,
    ``retry_after`` the seconds to wait on a 429/503 that says so, and ``issues`` the
    location of each problem of a 422 ``invalid_request``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str = "",
        retry_after: float | None = None,
        issues: tuple[Issue, ...] = (),
    ) -> None:
        super().__init__(f"{status} {code}: {detail}" if detail else f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title
        self.retry_after = retry_after
        self.issues = issues

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, code={self.code!r}, detail={self.detail!r})"

    @classmethod
    def from_response(
        cls, status: int, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
    ) -> ApiError:
        """The error an error response describes (problem+json, or whatever else came back)."""
        retry_after = parse_retry_after(headers.get("retry-after"), now=now)
        problem = _json_object(body)
        if problem is None:
            # Not problem+json: a proxy or load balancer answered. Its body is not shown.
            return cls(
                status,
                f"http_{status}",
                "the server answered without a problem+json body",
                retry_after=retry_after,
            )
        return cls(
            status,
            _text(problem.get("code")) or f"http_{status}",
            _text(problem.get("detail")),
            title=_text(problem.get("title")),
            retry_after=retry_after,
            issues=_issues(problem.get("errors")),
        )


class ApiConnectionError(ClientError):
    """privault could not be reached, or did not answer within the timeout."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date), if any."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value[:9]), 10**8))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _text(value: object) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _issues(value: object) -> tuple[Issue, ...]:
    if not isinstance(value, list):
        return ()
    issues = []
    for item in value[:100]:
        if isinstance(item, dict):
            loc = item.get("loc")
            parts = tuple(_text(p) for p in loc[:20]) if isinstance(loc, list) else ()
            issues.append(Issue(loc=parts, msg=_text(item.get("msg"))))
    return tuple(issues)
