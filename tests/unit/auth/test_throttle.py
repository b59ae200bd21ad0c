"""Throttling rules: growing delays, the 100-failure lock, address windows, stuffing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privault.auth import (
    FailurePolicy,
    SlidingWindowLimit,
    StuffingPolicy,
    check_address_limits,
    detect_credential_stuffing,
)
from privault.errors import InvalidInput

T0 = datetime(2025, 6, 1, 9, 0, 0, tzinfo=UTC)
POLICY = FailurePolicy()


class TestDelays:
    @pytest.mark.parametrize("failures", [0, 1, 5])
    def test_first_five_failures_cost_nothing(self, failures: int) -> None:
        """Typos are free: no delay up to five consecutive failures."""
        assert POLICY.delay_after(failures) == timedelta(0)
        assert POLICY.next_allowed_at(failures, T0) == T0

    def test_delay_doubles_after_the_free_failures(self) -> None:
        """Failures 6, 7, 8 wait 1 s, 2 s, 4 s."""
        assert [POLICY.delay_after(n).total_seconds() for n in (6, 7, 8)] == [1, 2, 4]

    def test_delay_is_capped(self) -> None:
        """Delays stop growing at max_delay (15 minutes by default)."""
        assert POLICY.delay_after(99) == timedelta(minutes=15)

    def test_huge_failure_count_does_not_overflow(self) -> None:
        """A count far beyond the lock still yields the cap, not an OverflowError."""
        assert POLICY.delay_after(10**9) == POLICY.max_delay

    def test_delays_never_decrease(self) -> None:
        """More failures never mean a shorter wait."""
        delays = [POLICY.delay_after(n) for n in range(120)]
        assert delays == sorted(delays)

    def test_attempt_during_delay_refused_with_retry_time(self) -> None:
        """Inside the delay the attempt is refused and told when to retry."""
        decision = POLICY.check(7, T0, now=T0 + timedelta(seconds=1))
        assert not decision.allowed
        assert decision.retry_at == T0 + timedelta(seconds=2)

    def test_attempt_after_delay_allowed(self) -> None:
        """Once the delay has passed the attempt goes ahead."""
        assert POLICY.check(7, T0, now=T0 + timedelta(seconds=2)).allowed


class TestLock:
    def test_ninety_ninth_failure_does_not_lock(self) -> None:
        """After 99 failures the 100th attempt may still be made (after its delay)."""
        assert not POLICY.is_locked(99)
        assert POLICY.check(99, T0, now=T0 + timedelta(hours=1)).allowed

    def test_hundred_and_first_attempt_refused_even_much_later(self) -> None:
        """After 100 consecutive failures every attempt is refused, whatever the password."""
        decision = POLICY.check(100, T0, now=T0 + timedelta(days=365))
        assert not decision.allowed
        assert decision.locked
        assert POLICY.is_locked(100)

    def test_locked_account_has_no_next_allowed_time(self) -> None:
        """next_allowed_at of a locked account is the end of time."""
        assert POLICY.next_allowed_at(100, T0) == datetime.max.replace(tzinfo=UTC)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"lock_after": 101},
            {"lock_after": 0},
            {"free_failures": -1},
            {"base_delay": timedelta(0)},
            {"max_delay": timedelta(milliseconds=1)},
        ],
    )
    def test_policy_outside_nist_or_sense_refused(self, kwargs: dict[str, object]) -> None:
        """A lock beyond 100 failures (NIST's cap) or nonsense delays are InvalidInput."""
        with pytest.raises(InvalidInput):
            FailurePolicy(**kwargs)  # type: ignore[arg-type]

    def test_negative_count_refused(self) -> None:
        """A negative failure count is a bug upstream and refused."""
        with pytest.raises(InvalidInput):
            POLICY.is_locked(-1)

    def test_naive_datetime_refused(self) -> None:
        """Naive datetimes are refused rather than guessed at."""
        with pytest.raises(InvalidInput):
            POLICY.next_allowed_at(6, datetime(2025, 1, 1))


class TestSlidingWindow:
    LIMIT = SlidingWindowLimit(limit=3, window=timedelta(minutes=1))

    def test_under_limit_allowed(self) -> None:
        """Fewer events than the limit in the window: allowed."""
        stamps = [T0, T0 + timedelta(seconds=10)]
        assert self.LIMIT.check(stamps, now=T0 + timedelta(seconds=20)).allowed

    def test_at_limit_refused_until_oldest_leaves(self) -> None:
        """At the limit the next event waits until the oldest one leaves the window."""
        stamps = [T0 + timedelta(seconds=s) for s in (30, 0, 10)]  # any order
        decision = self.LIMIT.check(stamps, now=T0 + timedelta(seconds=40))
        assert not decision.allowed
        assert decision.retry_at == T0 + timedelta(minutes=1)
        assert self.LIMIT.check(stamps, now=decision.retry_at).allowed

    def test_far_over_limit_waits_for_enough_to_leave(self) -> None:
        """Five events against a limit of three wait for the third-oldest to expire."""
        stamps = [T0 + timedelta(seconds=s) for s in (0, 5, 10, 15, 20)]
        decision = self.LIMIT.check(stamps, now=T0 + timedelta(seconds=25))
        assert decision.retry_at == T0 + timedelta(seconds=70)
        assert self.LIMIT.check(stamps, now=T0 + timedelta(seconds=69)).allowed is False
        assert self.LIMIT.check(stamps, now=T0 + timedelta(seconds=70)).allowed

    def test_old_and_future_events_ignored(self) -> None:
        """Events outside (now - window, now] do not count."""
        stamps = [T0 - timedelta(minutes=5)] * 10 + [T0 + timedelta(minutes=5)] * 10
        assert self.LIMIT.check(stamps, now=T0).allowed

    def test_most_restrictive_limit_wins(self) -> None:
        """With several limits the latest retry time is returned."""
        limits = (self.LIMIT, SlidingWindowLimit(limit=4, window=timedelta(hours=1)))
        stamps = [T0 + timedelta(minutes=m) for m in (0, 10, 20, 30)]
        decision = check_address_limits(stamps, now=T0 + timedelta(minutes=31), limits=limits)
        assert not decision.allowed
        assert decision.retry_at == T0 + timedelta(hours=1)

    def test_default_limits_allow_a_normal_user(self) -> None:
        """A handful of attempts from an address passes the defaults."""
        stamps = [T0 + timedelta(seconds=s) for s in range(0, 50, 10)]
        assert check_address_limits(stamps, now=T0 + timedelta(minutes=1)).allowed


class TestCredentialStuffing:
    def test_many_accounts_few_tries_flagged(self) -> None:
        """Ten accounts with one failure each in the window are flagged, pseudonyms listed."""
        failures = [(f"acct-{i:02d}", T0 + timedelta(seconds=i)) for i in range(10)]
        signal = detect_credential_stuffing(failures, now=T0 + timedelta(minutes=1))
        assert signal is not None
        assert signal.accounts == tuple(f"acct-{i:02d}" for i in range(10))
        assert signal.failures == 10
        assert (signal.first_at, signal.last_at) == (T0, T0 + timedelta(seconds=9))

    def test_few_accounts_not_flagged(self) -> None:
        """Nine accounts stay under the default threshold."""
        failures = [(f"acct-{i}", T0) for i in range(9)]
        assert detect_credential_stuffing(failures, now=T0 + timedelta(minutes=1)) is None

    def test_one_account_many_tries_is_guessing_not_stuffing(self) -> None:
        """Hammering accounts (more than 3 tries each) is not counted as stuffing."""
        failures = [(f"acct-{i}", T0 + timedelta(seconds=k)) for i in range(12) for k in range(4)]
        assert detect_credential_stuffing(failures, now=T0 + timedelta(minutes=1)) is None

    def test_failures_outside_window_ignored(self) -> None:
        """Old failures do not add up to a stuffing signal."""
        failures = [(f"acct-{i}", T0 - timedelta(hours=1)) for i in range(50)]
        assert detect_credential_stuffing(failures, now=T0) is None

    def test_thresholds_configurable(self) -> None:
        """A stricter policy flags three accounts."""
        failures = [("a", T0), ("b", T0), ("c", T0)]
        policy = StuffingPolicy(min_accounts=3)
        assert detect_credential_stuffing(failures, now=T0, policy=policy) is not None

    def test_bad_thresholds_refused(self) -> None:
        """A threshold of one account would flag every failure; refused."""
        with pytest.raises(InvalidInput):
            StuffingPolicy(min_accounts=1)
