"""The guard in front of every check of a password or code: throttling and stuffing detection.

Counters live in the database (``auth_login_throttle``, ``auth_login_failures``) so every server
process sees the same numbers. They are keyed by the login name's HMAC, not by the account, so
an unknown name is delayed and locked exactly like a known one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.auth import repository
from privault.auth.keys import AuthKeys
from privault.auth.throttle import (
    FailurePolicy,
    SlidingWindowLimit,
    StuffingPolicy,
    check_address_limits,
    detect_credential_stuffing,
)
from privault.config import AuthSettings
from privault.errors import PermissionDenied, PrivaultError, Unavailable

# Failure records older than this are never looked at (the longest window is an hour).
_FAILURE_RETENTION = timedelta(days=1)


class ThrottledError(Unavailable):
    """Too many failures: try again at ``retry_at`` (answered 429 with Retry-After)."""

    default_code = "login_throttled"

    def __init__(self, message: str, *, retry_at: datetime, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_at = retry_at


class LockedError(PermissionDenied):
    """100 consecutive failures: refused, even with the right password, until reset."""

    default_code = "login_locked"


@dataclass(frozen=True)
class Refusal:
    """An authentication failure to answer with, after committing what was recorded."""

    error: PrivaultError


@dataclass
class Attempt:
    """One attempt from one client address, with that address's recent failures."""

    address_ref: bytes
    recent: tuple[tuple[bytes, datetime], ...]
    at: datetime
    prior_failures: int = 0
    """The login name's consecutive failures, as ``refusal`` found them."""


class LoginGuard:
    """Decides whether an attempt may be checked, and records failures."""

    def __init__(self, *, settings: AuthSettings, keys: AuthKeys, audit: AuditLog) -> None:
        self._keys = keys
        self._audit = audit
        self.failures = FailurePolicy(
            free_failures=settings.free_failures,
            base_delay=timedelta(seconds=settings.failure_base_delay_s),
            max_delay=timedelta(
                seconds=max(settings.failure_max_delay_s, settings.failure_base_delay_s)
            ),
            lock_after=settings.lock_after_failures,
        )
        self.address_limits = (
            SlidingWindowLimit(settings.address_failures_per_minute, timedelta(minutes=1)),
            SlidingWindowLimit(settings.address_failures_per_hour, timedelta(hours=1)),
        )
        self.stuffing = StuffingPolicy()
        self._window = max(*(limit.window for limit in self.address_limits), self.stuffing.window)

    def begin(self, db_session: Session, *, address: str, at: datetime) -> Attempt:
        """Start an attempt: load the address's recent failures once."""
        address_ref = self._keys.address_ref_of(address)
        recent = repository.failures_from(
            db_session=db_session, address_ref=address_ref, since=at - self._window
        )
        return Attempt(address_ref, tuple(recent), at)

    def refusal(self, db_session: Session, *, login_ref: bytes, attempt: Attempt) -> Refusal | None:
        """Why this attempt may not be checked at all (address limit, delay, lock), or None."""
        now = attempt.at
        by_address = check_address_limits(
            [at for _, at in attempt.recent], now=now, limits=self.address_limits
        )
        if not by_address.allowed and by_address.retry_at is not None:
            return Refusal(
                ThrottledError(
                    "too many failed logins from this address; try again later",
                    retry_at=by_address.retry_at,
                    code="address_throttled",
                )
            )
        failures, last = repository.throttle_state(db_session=db_session, login_ref=login_ref)
        attempt.prior_failures = failures
        decision = self.failures.check(failures, last, now=now)
        if decision.locked:
            return Refusal(
                LockedError("too many failed attempts; this login is locked until it is reset")
            )
        if not decision.allowed and decision.retry_at is not None:
            return Refusal(
                ThrottledError(
                    "too many failed attempts; wait before trying again",
                    retry_at=decision.retry_at,
                )
            )
        return None

    def failed(self, db_session: Session, *, login_ref: bytes, attempt: Attempt) -> None:
        """Count a failure for the login name and the address; report a stuffing pattern."""
        now = attempt.at
        repository.count_failure(db_session=db_session, login_ref=login_ref, at=now)
        repository.record_failure(
            db_session=db_session, address_ref=attempt.address_ref, login_ref=login_ref, at=now
        )
        repository.prune_failures(db_session=db_session, before=now - _FAILURE_RETENTION)
        self._report_stuffing(db_session, login_ref, attempt)

    def succeeded(self, db_session: Session, *, login_ref: bytes, attempt: Attempt) -> None:
        """A complete success resets the login name's consecutive failures."""
        if attempt.prior_failures:  # most logins have none: no write then
            repository.clear_failures(db_session=db_session, login_ref=login_ref)

    def _report_stuffing(self, db_session: Session, login_ref: bytes, attempt: Attempt) -> None:
        recent: Sequence[tuple[bytes, datetime]] = attempt.recent
        signal = detect_credential_stuffing(
            [(ref.hex(), at) for ref, at in (*recent, (login_ref, attempt.at))],
            now=attempt.at,
            policy=self.stuffing,
        )
        first_try = all(ref != login_ref for ref, _ in recent)
        # Reported when the run reaches the threshold and at each further multiple of it,
        # not on every failure, so the log shows the pattern without drowning in it.
        if signal is None or not first_try or len(signal.accounts) % self.stuffing.min_accounts:
            return
        self._audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor="anonymous",
                operation="auth.stuffing",
                outcome="denied",
                detail={
                    "accounts": len(signal.accounts),
                    "failures": signal.failures,
                    # A keyed hash of the address: links events from one source, reveals nothing.
                    "source": attempt.address_ref.hex()[:16],
                    "first_at": signal.first_at.isoformat(),
                },
            ),
        )
