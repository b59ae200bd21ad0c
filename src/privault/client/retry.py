"""Opt-in retries of answers that say "later": 429 (rate limit) and 503 (unavailable)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUSES", "Retry"]

# Both are refused before anything is stored: the request's transaction rolled back.
RETRYABLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Retry:
    """How often and how long to wait before retrying a 429 or 503.

    The server's ``Retry-After`` is honoured exactly; an answer asking for more than
    ``max_wait_s`` is not waited for (the ``ApiError`` is raised at once). Without
    ``Retry-After`` the wait doubles from ``backoff_s``, with jitter, up to ``max_wait_s``.
    At most ``attempts`` retries follow the first try, so a call waits at most
    ``attempts * max_wait_s`` seconds in all.
    """

    attempts: int = 3
    max_wait_s: float = 30.0
    backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise TypeError("attempts must be an int")
        if not 0 <= self.attempts <= 100:
            raise ValueError("attempts must be between 0 and 100")
        for name in ("max_wait_s", "backoff_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0")

    def delay(self, *, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry`` (from 1), or None to give up."""
        if retry > self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait_s else None
        ceiling = min(self.max_wait_s, self.backoff_s * 2.0 ** min(retry - 1, 30))
        # Jitter keeps many clients refused at once from coming back at once.
        return ceiling * (0.5 + random.random() / 2)  # noqa: S311 - timing, not secrecy
