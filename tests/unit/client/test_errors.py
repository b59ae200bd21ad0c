"""ApiError from problem+json and from whatever else a server or proxy answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from privault.client import ApiError, Issue
from privault.client.errors import parse_retry_after

NOW = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


def problem(**fields: object) -> bytes:
    """A problem+json body."""
    return json.dumps(fields).encode()


class TestFromResponse:
    """ApiError.from_response reads what the server said, and nothing else."""

    def test_problem_json_fields(self) -> None:
        """Status, code, detail and title come from the problem body."""
        error = ApiError.from_response(
            403,
            {},
            problem(status=403, code="consent_missing", detail="no consent", title="Forbidden"),
        )
        assert (error.status, error.code, error.detail, error.title) == (
            403,
            "consent_missing",
            "no consent",
            "Forbidden",
        )
        assert str(error) == "403 consent_missing: no consent"
        assert error.retry_after is None

    def test_validation_issues_keep_location_and_message(self) -> None:
        """A 422 lists where each problem is."""
        body = problem(
            code="invalid_request",
            detail="the request is malformed",
            errors=[{"loc": ["body", "values", "email"], "msg": "bad"}, "junk", {"msg": 3}],
        )
        error = ApiError.from_response(422, {}, body)
        assert error.issues == (Issue(loc=("body", "values", "email"), msg="bad"), Issue((), ""))

    def test_retry_after_seconds(self) -> None:
        """A 429 carries Retry-After in seconds."""
        error = ApiError.from_response(429, {"retry-after": "3"}, problem(code="rate_limited"))
        assert error.retry_after == 3.0

    @pytest.mark.parametrize(
        "body", [b"<html>Bad gateway</html>", b"", b"\xff\xfe", b"[1, 2]", b'"text"', b"nul\x00"]
    )
    def test_not_problem_json_is_http_status_code(self, body: bytes) -> None:
        """A proxy's HTML or garbage gives http_<status>, and its body is not shown."""
        error = ApiError.from_response(502, {}, body)
        assert error.code == "http_502"
        assert "Bad gateway" not in str(error)

    def test_wrong_types_in_problem_are_ignored(self) -> None:
        """A problem with non-string code or detail falls back rather than crashing."""
        error = ApiError.from_response(500, {}, problem(code=5, detail=["x"], errors="no"))
        assert (error.code, error.detail, error.issues) == ("http_500", "", ())

    def test_huge_detail_is_cut(self) -> None:
        """A server cannot make the exception message unbounded."""
        error = ApiError.from_response(400, {}, problem(code="x", detail="d" * 100_000))
        assert len(str(error)) < 600


class TestRetryAfter:
    """Retry-After is delay-seconds or an HTTP date (RFC 9110 10.2.3)."""

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("0", 0.0),
            (" 12 ", 12.0),
            ("Sun, 29 Nov 2026 10:00:30 GMT", 30.0),
            ("Sun, 29 Nov 2026 09:59:00 GMT", 0.0),  # in the past: no wait
            ("9" * 5000, 10.0**8),  # absurd values are capped, not parsed in full
            ("-1", None),
            ("soon", None),
            ("1.5", None),
            ("", None),
            (None, None),
        ],
    )
    def test_parsing(self, header: str | None, expected: float | None) -> None:
        """Each form gives seconds to wait, or None when unreadable."""
        assert parse_retry_after(header, now=NOW) == expected
