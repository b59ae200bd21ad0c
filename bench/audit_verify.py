"""Benchmark: stream N audit events into an RFC 9162 root, against plain SHA-256 per event.

The floor is one ``hashlib.sha256`` per event over the same bytes: no Merkle tree can hash its
leaves for less. The measured figure hashes each event as a leaf (0x00 prefix) and folds it into a
:class:`privault.audit.merkle.CompactTree`. Events are generated deterministically in chunks, so
memory stays flat and both timings cover exactly the same bytes; generation is not timed.

Run: ``.venv/bin/python bench/audit_verify.py [--events N] [--chunk N] [--seed N]``
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import sys
import time
from collections.abc import Iterator

from privault.audit.merkle import CompactTree

_TEMPLATE = (
    b'{"seq":%d,"at":"2025-06-%02dT%02d:%02d:%02d.%06dZ","actor":"role:%s",'
    b'"subject":"ps_%016x","purpose":"%s","fields":["email","phone"],'
    b'"decision":"%s","request":"%032x"}'
)
_ROLES = (b"support_agent", b"fulfilment", b"marketing_ops", b"fraud_analyst")
_PURPOSES = (b"customer_support", b"order_fulfillment", b"marketing", b"fraud_prevention")
_DECISIONS = (b"allow", b"deny", b"allow_masked")


def events(count: int, chunk: int, seed: int) -> Iterator[list[bytes]]:
    """Deterministic ~210-byte JSON-like audit events, ``chunk`` at a time."""
    rng = random.Random(seed)
    for first in range(0, count, chunk):
        yield [
            _TEMPLATE
            % (
                seq,
                1 + seq % 28,
                seq // 3600 % 24,
                seq // 60 % 60,
                seq % 60,
                rng.getrandbits(20) % 1_000_000,
                rng.choice(_ROLES),
                rng.getrandbits(64),
                rng.choice(_PURPOSES),
                rng.choice(_DECISIONS),
                rng.getrandbits(128),
            )
            for seq in range(first, min(first + chunk, count))
        ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures, ending with one ``ratio=`` line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="number of events")
    parser.add_argument("--chunk", type=int, default=10_000, help="events generated at a time")
    parser.add_argument("--seed", type=int, default=9162, help="seed for the event generator")
    args = parser.parse_args(argv)
    if args.events < 1 or args.chunk < 1:
        parser.error("--events and --chunk must be positive")

    sha256 = hashlib.sha256
    tree = CompactTree()
    floor_seconds = tree_seconds = 0.0
    total_bytes = 0
    clock = time.perf_counter
    for batch in events(args.events, args.chunk, args.seed):
        total_bytes += sum(map(len, batch))
        started = clock()
        for event in batch:
            sha256(event).digest()
        floor_seconds += clock() - started
        started = clock()
        tree.extend_data(batch)
        tree_seconds += clock() - started
    root = tree.root()

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    n = tree.size
    print(f"events={n} bytes={total_bytes} avg_event_bytes={total_bytes / n:.0f}")
    print(f"floor  sha256 per event : {floor_seconds:8.3f} s  {n / floor_seconds:12,.0f} events/s")
    print(f"rfc9162 root (compact)  : {tree_seconds:8.3f} s  {n / tree_seconds:12,.0f} events/s")
    print(f"root={root.hex()}")
    print(f"peak_rss_mib={peak_mib:.1f}")
    print(f"ratio={tree_seconds / floor_seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
