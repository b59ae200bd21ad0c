"""Time, always timezone-aware UTC, behind a small interface so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Something that tells the time."""

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        return utcnow()
