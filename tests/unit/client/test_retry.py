"""Retry: when to retry a 429/503, and how long to wait."""

from __future__ import annotations

import pytest

from privault.client import Retry


class TestDelay:
    """Retry.delay honours Retry-After within bounds and backs off without it."""

    def test_retry_after_is_waited_exactly(self) -> None:
        """The server's Retry-After is the wait."""
        assert Retry(attempts=2).delay(retry=1, retry_after=2.0) == 2.0

    def test_retry_after_over_the_bound_gives_up(self) -> None:
        """A server asking for longer than max_wait_s is not waited for."""
        assert Retry(max_wait_s=5).delay(retry=1, retry_after=6.0) is None

    def test_attempts_are_bounded(self) -> None:
        """After `attempts` retries, give up."""
        policy = Retry(attempts=2)
        assert policy.delay(retry=2, retry_after=0.0) == 0.0
        assert policy.delay(retry=3, retry_after=0.0) is None

    def test_zero_attempts_never_retries(self) -> None:
        """attempts=0 is the same as no retry."""
        assert Retry(attempts=0).delay(retry=1, retry_after=0.0) is None

    def test_backoff_doubles_with_jitter_and_is_capped(self) -> None:
        """Without Retry-After, waits grow from backoff_s, jittered to [half, full], capped."""
        policy = Retry(attempts=50, backoff_s=1.0, max_wait_s=10.0)
        for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (50, 10.0)]:
            waits = [policy.delay(retry=retry, retry_after=None) for _ in range(50)]
            assert all(w is not None and ceiling / 2 <= w <= ceiling for w in waits)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"attempts": -1},
            {"attempts": 101},
            {"max_wait_s": -1.0},
            {"max_wait_s": float("inf")},
            {"backoff_s": float("nan")},
        ],
    )
    def test_bad_settings_are_refused(self, kwargs: dict[str, float]) -> None:
        """Negative, infinite or NaN settings raise ValueError."""
        with pytest.raises(ValueError, match="must be"):
            Retry(**kwargs)  # type: ignore[arg-type]

    def test_attempts_must_be_an_int(self) -> None:
        """True or 2.5 attempts is a TypeError."""
        with pytest.raises(TypeError):
            Retry(attempts=True)
