"""Identifiers: a short prefix naming the kind, then a time-ordered random part.

The time prefix keeps new ids close together in B-tree indexes (inserts append rather than
scatter); the 80 random bits keep them unguessable enough that an id reveals nothing but its
rough creation time.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """Return a new id like ``rec_01hv7k3x9d2m4q8r6t0w5y1z3b``: 48-bit ms time + 80 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_b32((millis << 80) | rand, 26)}"
