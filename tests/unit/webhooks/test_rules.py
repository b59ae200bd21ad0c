"""Outgoing webhook rules: event names, payloads, signatures, backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from privault.errors import InvalidInput
from privault.webhooks import backoff_delay, request_event_type, sign, subscribed, verify_signature
from privault.webhooks.rules import check_event_type, error_text, payload

SECRET = b"whsec-0123456789abcdef"
BODY = b'{"id":"evt_1","type":"request.completed"}'
NOW = 1_700_000_000


class TestSignature:
    """``Privault-Signature: t=<unix>,v1=<hex hmac-sha256(secret, "t." + body)>``."""

    def test_header_is_hmac_of_time_dot_body(self) -> None:
        """The v1 value is an independent HMAC-SHA256 of ``f"{t}."`` followed by the body."""
        expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
        assert sign(SECRET, BODY, timestamp=NOW) == f"t={NOW},v1={expected}"

    def test_signed_body_verifies(self) -> None:
        """A receiver with the secret accepts what was signed within the tolerance."""
        header = sign(SECRET, BODY, timestamp=NOW)
        assert verify_signature(SECRET, header, BODY, now=NOW + 299)
        assert verify_signature(SECRET.decode(), header, BODY, now=NOW - 10)

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda h, b: (h, b + b" "),  # body changed
            lambda h, b: (h.replace(f"t={NOW}", f"t={NOW + 1}"), b),  # time changed
            lambda h, b: (h[:-1] + ("0" if h[-1] != "0" else "1"), b),  # mac changed
            lambda h, b: (h.split(",")[1], b),  # no time
            lambda h, b: (h.split(",")[0], b),  # no mac
            lambda h, b: ("", b),
            lambda h, b: (None, b),
            lambda h, b: ("t=abc,v1=00", b),
            lambda h, b: (h + ",v1=" + "0" * 5000, b),  # oversized header
        ],
    )
    def test_tampering_is_refused(self, tamper: object) -> None:
        """Any change to body, time or mac, or a malformed header, fails verification."""
        header, body = tamper(sign(SECRET, BODY, timestamp=NOW), BODY)  # type: ignore[operator]
        assert not verify_signature(SECRET, header, body, now=NOW)

    def test_wrong_secret_is_refused(self) -> None:
        """Another endpoint's secret does not verify."""
        header = sign(SECRET, BODY, timestamp=NOW)
        assert not verify_signature(b"another-secret-of-16b", header, BODY, now=NOW)
        assert not verify_signature(b"", header, BODY, now=NOW)

    def test_old_and_future_times_are_refused(self) -> None:
        """A replay of an old delivery (or a clock far off) is outside the tolerance."""
        header = sign(SECRET, BODY, timestamp=NOW)
        assert not verify_signature(SECRET, header, BODY, now=NOW + 301)
        assert not verify_signature(SECRET, header, BODY, now=NOW - 301)
        assert verify_signature(SECRET, header, BODY, now=NOW + 3000, tolerance_s=3600)

    def test_any_of_several_macs_is_accepted(self) -> None:
        """During a secret rotation the header may carry one v1 per secret."""
        old = sign(b"old-secret-0123456789", BODY, timestamp=NOW)
        new = sign(SECRET, BODY, timestamp=NOW).split(",")[1]
        assert verify_signature(SECRET, f"{old},{new}", BODY, now=NOW)

    def test_empty_secret_cannot_sign(self) -> None:
        """Signing with no secret is a configuration error, not an unsigned delivery."""
        with pytest.raises(InvalidInput):
            sign(b"", BODY, timestamp=NOW)


class TestEvents:
    """Event types and payloads."""

    @pytest.mark.parametrize(
        ("request_type", "state", "expected"),
        [
            ("erasure", "completed", "erasure.completed"),
            ("rectification", "completed", "rectification.completed"),
            ("access", "completed", "request.completed"),
            ("erasure", "denied", "request.denied"),
            ("erasure", "identity_verified", "request.identity_verified"),
        ],
    )
    def test_request_event_names(self, request_type: str, state: str, expected: str) -> None:
        """Completed erasures and rectifications are named; other steps are request.<state>."""
        assert request_event_type(request_type, state) == expected

    @pytest.mark.parametrize(
        "bad", ["", "request", "Request.x", "a.b.c", "a." + "x" * 40, "request.denied\n"]
    )
    def test_malformed_event_types_are_refused(self, bad: str) -> None:
        """Event types look like kind.action."""
        with pytest.raises(InvalidInput):
            check_event_type(bad)

    @pytest.mark.parametrize(
        ("patterns", "event", "expected"),
        [
            (["*"], "erasure.completed", True),
            (["request.*"], "request.denied", True),
            (["request.*"], "erasure.completed", False),
            (["*.completed"], "rectification.completed", True),
            ([], "request.denied", False),
            (["erasure.completed"], "Erasure.completed", False),
        ],
    )
    def test_subscriptions(self, patterns: list[str], event: str, expected: bool) -> None:
        """Patterns match whole event types, with * wildcards, case-sensitively."""
        assert subscribed(patterns, event) is expected

    def test_payload_is_compact_sorted_json(self) -> None:
        """{id, type, occurred_at (UTC ISO), data} in key order, so bodies are reproducible."""
        body = payload(
            event_id="evt_1",
            event_type="request.completed",
            occurred_at=datetime(2025, 3, 1, 12, tzinfo=UTC),
            data={"state": "completed", "request_id": "dsr_1"},
        )
        assert body == (
            b'{"data":{"request_id":"dsr_1","state":"completed"},"id":"evt_1",'
            b'"occurred_at":"2025-03-01T12:00:00+00:00","type":"request.completed"}'
        )
        assert json.loads(body)["type"] == "request.completed"


class TestBackoff:
    """Exponential backoff with jitter, capped."""

    def test_doubles_per_attempt(self) -> None:
        """Without jitter: base, 2*base, 4*base ..."""
        delays = [backoff_delay(n, base_s=30, cap_s=10_000, jitter=0) for n in (1, 2, 3, 4)]
        assert delays == [30, 60, 120, 240]

    def test_is_capped(self) -> None:
        """Never more than the cap, even after many attempts (no overflow)."""
        assert backoff_delay(10_000, base_s=30, cap_s=3600, jitter=0) == 3600

    def test_jitter_takes_up_to_half_off(self) -> None:
        """Jitter spreads retries between half and the whole delay."""
        assert backoff_delay(3, base_s=10, cap_s=1000, jitter=0.999) == pytest.approx(20.02)
        assert 20 <= backoff_delay(3, base_s=10, cap_s=1000, jitter=0.5) <= 40

    @pytest.mark.parametrize(("attempts", "jitter"), [(0, 0.0), (1, 1.0), (1, -0.1)])
    def test_bad_arguments_are_refused(self, attempts: int, jitter: float) -> None:
        """Attempts start at 1; jitter lies in [0, 1)."""
        with pytest.raises(InvalidInput):
            backoff_delay(attempts, base_s=1, cap_s=2, jitter=jitter)

    def test_errors_keep_no_body(self) -> None:
        """What is stored of a failure is the status or exception kind only."""
        assert error_text(503) == "HTTP 503"
        assert error_text(None, ConnectionRefusedError("secret body echo")) == (
            "ConnectionRefusedError"
        )
