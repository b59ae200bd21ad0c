"""Small shared pieces: ids, clock, typing helpers. Imports no domain."""

from __future__ import annotations

from privault.common.clock import Clock, SystemClock, utcnow
from privault.common.ids import new_id

__all__ = ["Clock", "SystemClock", "new_id", "utcnow"]
