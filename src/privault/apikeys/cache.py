"""A short-lived, per-process memory of keys that authenticated, so that a busy key does not cost
a database lookup (and, on SQLite, a turn at the write lock) on every request.

An entry keeps what the database said about a key id: the keyed hash of the whole key, its role,
purposes and regions. A presented key is accepted from memory only if its own keyed hash matches
the remembered one (compared in constant time), the entry is younger than ``ttl_s`` and the
key's use was recorded less than ``LAST_USED_GRANULARITY`` ago; anything else is a miss, and the
caller authenticates against the database as before (which refreshes the entry).

The price, stated in ``docs/api-keys.md``: a key revoked by another process (the CLI, another
server worker) keeps working in this process for at most ``ttl_s`` seconds. A revocation made by
this process is forgotten at once (:meth:`ApiKeyCache.forget`). ``ttl_s = 0`` turns the cache
off. Keys that fail are never remembered.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from privault.apikeys.schemas import ApiKeyRead
from privault.apikeys.service import LAST_USED_GRANULARITY, key_hash, key_id_of

__all__ = ["ApiKeyCache"]

# Entries beyond this many are dropped oldest first (a shop has a handful of keys; the bound only
# stops a flood of distinct valid keys from growing the memory without limit).
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    secret_hash: bytes
    key: ApiKeyRead
    stored_at: float  # monotonic seconds


class ApiKeyCache:
    """Keys that authenticated recently, by id; safe to share between threads."""

    def __init__(self, ttl_s: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        if ttl_s < 0:
            raise ValueError("the API-key cache lifetime cannot be negative")
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def lookup(self, *, hash_key: bytes, presented: str, at: datetime) -> ApiKeyRead | None:
        """The key ``presented`` is, from memory; None when the database must be asked."""
        key_id = key_id_of(presented) if self.ttl_s else None
        entry = self._entries.get(key_id) if key_id is not None else None
        if entry is None:
            return None
        if self._monotonic() - entry.stored_at >= self.ttl_s:
            self.forget(entry.key.id)
            return None
        last_used = entry.key.last_used_at
        # A use due to be recorded goes to the database, which records it; a wrong secret for
        # a known id goes there too, and is refused there.
        due = last_used is None or at - last_used >= LAST_USED_GRANULARITY
        matches = hmac.compare_digest(key_hash(hash_key, presented), entry.secret_hash)
        return entry.key if matches and not due else None

    def remember(self, *, hash_key: bytes, presented: str, key: ApiKeyRead) -> None:
        """Keep a key the database has just accepted (with ``presented``, its plaintext)."""
        if self.ttl_s == 0 or key.revoked_at is not None or key_id_of(presented) != key.id:
            return
        entry = _Entry(key_hash(hash_key, presented), key, self._monotonic())
        with self._lock:
            self._entries.pop(key.id, None)
            self._entries[key.id] = entry
            while len(self._entries) > MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]

    def forget(self, key_id: str) -> None:
        """Drop a key (revoked here, or expired)."""
        with self._lock:
            self._entries.pop(key_id, None)

    def clear(self) -> None:
        """Drop every key."""
        with self._lock:
            self._entries.clear()
