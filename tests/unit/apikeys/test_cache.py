"""The in-process memory of keys that authenticated (``ApiKeyCache``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privault.apikeys import LAST_USED_GRANULARITY, ApiKeyCache, ApiKeyRead
from privault.apikeys.cache import MAX_ENTRIES

HASH_KEY = b"k" * 32
KEY = "pvk_0123456789ab_" + "A" * 43
OTHER_SECRET = "pvk_0123456789ab_" + "B" * 43
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def read(key_id: str = "0123456789ab", *, used: datetime | None = NOW) -> ApiKeyRead:
    """What the database said about a key."""
    return ApiKeyRead(
        id=key_id, name=None, role="service", purposes=None, regions=None,
        created_at=NOW - timedelta(days=1), last_used_at=used, revoked_at=None,
    )  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> ApiKeyCache:
    remembered = ApiKeyCache(2.0, monotonic=clock)
    remembered.remember(hash_key=HASH_KEY, presented=KEY, key=read())
    return remembered


def test_hit_within_lifetime(cache: ApiKeyCache, clock: Clock) -> None:
    clock.now += 1.9
    assert cache.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) == read()


def test_expires_after_lifetime(cache: ApiKeyCache, clock: Clock) -> None:
    clock.now += 2.0
    assert cache.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None


def test_wrong_secret_for_a_known_id_misses(cache: ApiKeyCache) -> None:
    assert cache.lookup(hash_key=HASH_KEY, presented=OTHER_SECRET, at=NOW) is None


def test_other_hashing_key_misses(cache: ApiKeyCache) -> None:
    assert cache.lookup(hash_key=b"x" * 32, presented=KEY, at=NOW) is None


@pytest.mark.parametrize("presented", ["", "pvk_nope", KEY[:-1], KEY + "A", "Bearer " + KEY])
def test_malformed_keys_miss(cache: ApiKeyCache, presented: str) -> None:
    assert cache.lookup(hash_key=HASH_KEY, presented=presented, at=NOW) is None


def test_a_use_due_to_be_recorded_goes_to_the_database(cache: ApiKeyCache) -> None:
    assert cache.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW + LAST_USED_GRANULARITY) is None


def test_never_used_key_goes_to_the_database(clock: Clock) -> None:
    remembered = ApiKeyCache(2.0, monotonic=clock)
    remembered.remember(hash_key=HASH_KEY, presented=KEY, key=read(used=None))
    assert remembered.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None


def test_revoked_or_mismatched_keys_are_not_remembered(clock: Clock) -> None:
    remembered = ApiKeyCache(2.0, monotonic=clock)
    revoked = read().model_copy(update={"revoked_at": NOW})
    remembered.remember(hash_key=HASH_KEY, presented=KEY, key=revoked)
    remembered.remember(hash_key=HASH_KEY, presented=KEY, key=read("ba9876543210"))
    assert remembered.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None


def test_forget_and_clear(cache: ApiKeyCache) -> None:
    cache.forget("0123456789ab")
    assert cache.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None
    cache.remember(hash_key=HASH_KEY, presented=KEY, key=read())
    cache.clear()
    assert cache.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None


def test_zero_lifetime_is_off(clock: Clock) -> None:
    off = ApiKeyCache(0, monotonic=clock)
    off.remember(hash_key=HASH_KEY, presented=KEY, key=read())
    assert off.lookup(hash_key=HASH_KEY, presented=KEY, at=NOW) is None


def test_negative_lifetime_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ApiKeyCache(-1)


def test_bounded(clock: Clock) -> None:
    remembered = ApiKeyCache(60.0, monotonic=clock)
    for n in range(MAX_ENTRIES + 5):
        key_id = f"{n:012x}"
        remembered.remember(
            hash_key=HASH_KEY, presented=f"pvk_{key_id}_" + "A" * 43, key=read(key_id)
        )
    assert len(remembered._entries) == MAX_ENTRIES
    first = "pvk_000000000000_" + "A" * 43
    assert remembered.lookup(hash_key=HASH_KEY, presented=first, at=NOW) is None
