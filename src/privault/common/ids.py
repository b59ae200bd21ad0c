"""Identifiers: a short prefix naming the kind, then a time-ordered random part.

The time prefix keeps new ids close together in B-tree indexes (inserts append rather than
scatter); the 80 random bits keep them unguessable enough that an id reveals nothing but its
rough creation time.
"""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    """Return a new id like ``rec_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b``: 48-bit ms time + 80 random
    bits, in hex so ids sort by creation time."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{os.urandom(10).hex()}"
