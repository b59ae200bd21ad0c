"""Erasure benchmark: time per `erase_subject` on a 10,000- and a 200,000-customer database.

Erasure must not grow with the database: it appends the key id to the ledger (one fsync),
deletes the customer's records through the subject index and deletes the key row.

Run: .venv/bin/python bench/erase.py [--small N] [--large N] [--erasures N]
Target: time per erasure on the large database <= 1.5x the small one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The folder goes last on the path: bench/http.py would shadow the standard library's `http`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.append(str(_HERE))


def build_and_erase(customers: int, erasures: int, workdir: Path) -> list[float]:
    """Fill a fresh SQLite vault with ``customers`` (two records each), erase a sample."""
    from privault.config import Settings
    from privault.home import init_home
    from privault.vault import RecordCreate, Vault

    settings = Settings(home=workdir / f"home-{customers}")
    init_home(settings)
    timings: list[float] = []
    with Vault.open(settings) as vault:
        batch: list[RecordCreate] = []
        for number in range(customers):
            subject = f"C{number:08d}"
            batch.append(
                RecordCreate(
                    "customers",
                    subject,
                    {
                        "email": f"customer{number}@example.com",
                        "name": f"Customer {number}",
                        "phone": "+44 20 7946 0958",
                        "birth_date": "1990-05-17",
                    },
                )
            )
            batch.append(RecordCreate("orders", subject, {"billing_address": "1 High St, London"}))
            if len(batch) >= 10_000:
                vault.put_many(batch)
                batch.clear()
        if batch:
            vault.put_many(batch)
        rng = random.Random(11)
        for number in rng.sample(range(customers), erasures):
            started = time.perf_counter()
            receipt = vault.erase_subject(f"C{number:08d}")
            timings.append(time.perf_counter() - started)
            if receipt.records_deleted != 2:
                raise SystemExit("erasure deleted an unexpected number of records")
    return timings


def main() -> None:
    """Time erasures on both sizes and compare."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--erasures", type=int, default=300)
    args = parser.parse_args()
    print(f"erase: {args.erasures} erasures on {args.small:,} and {args.large:,} customers")
    with tempfile.TemporaryDirectory() as tmp:
        small = build_and_erase(args.small, args.erasures, Path(tmp))
        large = build_and_erase(args.large, args.erasures, Path(tmp))
    small_ms = statistics.median(small) * 1000
    large_ms = statistics.median(large) * 1000
    ratio = large_ms / small_ms
    print(
        f"  {args.small:>9,} customers: median {small_ms:.2f} ms per erasure "
        f"(p95 {sorted(small)[int(len(small) * 0.95)] * 1000:.2f} ms)"
    )
    print(
        f"  {args.large:>9,} customers: median {large_ms:.2f} ms per erasure "
        f"(p95 {sorted(large)[int(len(large) * 0.95)] * 1000:.2f} ms)"
    )
    print(f"erase: large/small = {ratio:.2f} (target <= 1.5) {'OK' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
