"""Pure throttling rules: per-account delays and lock, per-address windows, stuffing detection.

Nothing here stores anything. The caller keeps the failure counter and timestamps (in the
database, so every server process sees the same numbers) and asks these rules what to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from privault.errors import InvalidInput

__all__ = [
    "DEFAULT_ADDRESS_LIMITS",
    "AttemptDecision",
    "FailurePolicy",
    "SlidingWindowLimit",
    "StuffingPolicy",
    "StuffingSignal",
    "WindowDecision",
    "check_address_limits",
    "detect_credential_stuffing",
]

_NIST_MAX_CONSECUTIVE_FAILURES = 100


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be timezone-aware", code="naive_datetime")


@dataclass(frozen=True)
class AttemptDecision:
    """Whether an account may try to log in now, and if not, until when or for ever."""

    allowed: bool
    locked: bool = False
    retry_at: datetime | None = None


@dataclass(frozen=True)
class FailurePolicy:
    """Delays that grow with consecutive failures, and a hard lock (NIST rev 4: <= 100)."""

    free_failures: int = 5
    """Consecutive failures answered without any delay (typos, a forgotten caps lock)."""
    base_delay: timedelta = timedelta(seconds=1)
    """Delay after the first failure beyond the free ones; doubles with each further one."""
    max_delay: timedelta = timedelta(minutes=15)
    """Cap on a single delay."""
    lock_after: int = _NIST_MAX_CONSECUTIVE_FAILURES
    """Consecutive failures after which the account is locked until reset (at most 100)."""

    def __post_init__(self) -> None:
        if not 1 <= self.lock_after <= _NIST_MAX_CONSECUTIVE_FAILURES:
            raise InvalidInput("lock_after must be within 1..100", code="bad_throttle_policy")
        if self.free_failures < 0 or self.free_failures >= self.lock_after:
            raise InvalidInput("free_failures must be below lock_after", code="bad_throttle_policy")
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise InvalidInput("delays must satisfy 0 < base <= max", code="bad_throttle_policy")

    def is_locked(self, failures: int) -> bool:
        """Whether this many consecutive failures lock the account."""
        _require_count(failures)
        return failures >= self.lock_after

    def delay_after(self, failures: int) -> timedelta:
        """The wait imposed after this many consecutive failures (zero while free)."""
        _require_count(failures)
        beyond = failures - self.free_failures
        if beyond <= 0:
            return timedelta(0)
        # Compared in float seconds first, so a huge count cannot overflow timedelta.
        exponent = min(beyond - 1, 1000)
        if self.base_delay.total_seconds() * 2.0**exponent >= self.max_delay.total_seconds():
            return self.max_delay
        return self.base_delay * (1 << exponent)

    def next_allowed_at(self, failures: int, last_failure_at: datetime) -> datetime:
        """When the next attempt may be made; ``datetime.max`` (aware) once locked."""
        _require_aware(last_failure_at, "last_failure_at")
        if self.is_locked(failures):
            return datetime.max.replace(tzinfo=last_failure_at.tzinfo)
        return last_failure_at + self.delay_after(failures)

    def check(
        self, failures: int, last_failure_at: datetime | None, *, now: datetime
    ) -> AttemptDecision:
        """Decide an attempt before any password is looked at; a locked account is refused."""
        _require_aware(now, "now")
        if self.is_locked(failures):
            return AttemptDecision(allowed=False, locked=True)
        if last_failure_at is None or failures == 0:
            return AttemptDecision(allowed=True)
        retry_at = self.next_allowed_at(failures, last_failure_at)
        if now >= retry_at:
            return AttemptDecision(allowed=True)
        return AttemptDecision(allowed=False, retry_at=retry_at)


def _require_count(failures: int) -> None:
    if failures < 0:
        raise InvalidInput("failure count must not be negative", code="bad_failure_count")


@dataclass(frozen=True)
class WindowDecision:
    """Whether one more event fits the window, and if not, when it will."""

    allowed: bool
    retry_at: datetime | None = None


@dataclass(frozen=True)
class SlidingWindowLimit:
    """At most ``limit`` events in any ``window`` ending now."""

    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0):
            raise InvalidInput("window limits must be positive", code="bad_throttle_policy")

    def check(self, timestamps: Iterable[datetime], *, now: datetime) -> WindowDecision:
        """Decide one more event given earlier ones (any order; older ones are ignored)."""
        _require_aware(now, "now")
        start = now - self.window
        recent = sorted(t for t in timestamps if start < t <= now)
        if len(recent) < self.limit:
            return WindowDecision(allowed=True)
        # Room for one more appears when enough of the oldest recent events leave the window.
        return WindowDecision(
            allowed=False, retry_at=recent[len(recent) - self.limit] + self.window
        )


DEFAULT_ADDRESS_LIMITS: tuple[SlidingWindowLimit, ...] = (
    SlidingWindowLimit(limit=20, window=timedelta(minutes=1)),
    SlidingWindowLimit(limit=200, window=timedelta(hours=1)),
)
"""Failed logins allowed per client address: 20 a minute and 200 an hour."""


def check_address_limits(
    timestamps: Sequence[datetime],
    *,
    now: datetime,
    limits: Sequence[SlidingWindowLimit] = DEFAULT_ADDRESS_LIMITS,
) -> WindowDecision:
    """Apply every limit to one address's recent events; the latest retry time wins."""
    refusals = [d for d in (limit.check(timestamps, now=now) for limit in limits) if not d.allowed]
    if not refusals:
        return WindowDecision(allowed=True)
    return WindowDecision(
        allowed=False, retry_at=max(d.retry_at for d in refusals if d.retry_at is not None)
    )


@dataclass(frozen=True)
class StuffingPolicy:
    """When failures from one source look like a credential-stuffing run."""

    window: timedelta = timedelta(minutes=15)
    """How far back failures are considered."""
    min_accounts: int = 10
    """Distinct accounts with few tries each needed to raise the flag."""
    max_tries_per_account: int = 3
    """An account with more failures than this looks like guessing, not stuffing."""

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.min_accounts < 2 or self.max_tries_per_account < 1:
            raise InvalidInput("stuffing thresholds are out of range", code="bad_throttle_policy")


@dataclass(frozen=True)
class StuffingSignal:
    """Evidence of credential stuffing from one source, naming accounts only by pseudonym."""

    accounts: tuple[str, ...]
    failures: int
    first_at: datetime
    last_at: datetime


def detect_credential_stuffing(
    failures: Iterable[tuple[str, datetime]],
    *,
    now: datetime,
    policy: StuffingPolicy | None = None,
) -> StuffingSignal | None:
    """Flag many distinct accounts with few failed tries each, from one source, recently."""
    policy = policy or StuffingPolicy()
    _require_aware(now, "now")
    start = now - policy.window
    recent = [(account, at) for account, at in failures if start < at <= now]
    tries = Counter(account for account, _ in recent)
    few = sorted(
        account for account, count in tries.items() if count <= policy.max_tries_per_account
    )
    if len(few) < policy.min_accounts:
        return None
    chosen = set(few)
    times = [at for account, at in recent if account in chosen]
    return StuffingSignal(
        accounts=tuple(few),
        failures=sum(tries[account] for account in few),
        first_at=min(times),
        last_at=max(times),
    )
