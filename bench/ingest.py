"""Ingest benchmark: import 100,000 synthetic customers (6 PII fields) through `privault import`'s
code path, beside a floor measured in the same run.

Floor: AES-256-GCM of every field with `cryptography` under one key, plus `sqlite3.executemany`
of the ciphertexts into a plain table (one row per customer, six BLOB columns), committed once.

Run: .venv/bin/python bench/ingest.py [--count N]
Targets: ratio <= 3, peak memory of the import <= 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import customers_csv, peak_rss_mb, ratio_line, run_part

FIELDS = ("email", "name", "phone", "address", "birth_date", "card")


def floor_part(source: Path, workdir: Path) -> dict[str, float]:
    """Raw AES-GCM + sqlite3.executemany of the same rows."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(os.urandom(32))
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    connection = sqlite3.connect(workdir / "floor.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE t (id TEXT PRIMARY KEY, email BLOB, name BLOB, phone BLOB, address BLOB, "
        "birth_date BLOB, card BLOB)"
    )
    started = time.perf_counter()
    batch = []
    for row in rows:
        encrypted = []
        for name in FIELDS:
            nonce = os.urandom(12)
            encrypted.append(nonce + aead.encrypt(nonce, row[name].encode(), None))
        batch.append((row["customer_id"], *encrypted))
    connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return {"seconds": elapsed, "records": len(rows), "peak_mb": peak_rss_mb()}


def privault_part(source: Path, workdir: Path) -> dict[str, float]:
    """The import path of `privault import`, on a fresh SQLite home."""
    from privault.config import Settings
    from privault.home import init_home
    from privault.vault import Vault
    from privault.vault.importer import auto_jobs, import_file

    settings = Settings(home=workdir / "home")
    if not settings.keys_dir.exists():
        init_home(settings)  # only when run as a part on its own
    with Vault.open(settings) as vault:
        started = time.perf_counter()
        report = import_file(
            source,
            collection="customers",
            subject_column="customer_id",
            records=vault.records,
            sessions=vault.database.session,
            batch_size=settings.imports.batch_size,
            jobs=auto_jobs(source.stat().st_size),
            settings=settings,
            audit=vault.audit,
        )
        elapsed = time.perf_counter() - started
    if report.rows_failed:
        raise SystemExit(f"{report.rows_failed} rows failed: {report.errors[:3]}")
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    jobs = auto_jobs(source.stat().st_size)
    return {
        "seconds": elapsed,
        "records": report.rows_imported,
        "peak_mb": peak_rss_mb() + (jobs * children if jobs > 1 else 0),
        "main_mb": peak_rss_mb(),
        "worker_mb": children,
        "jobs": jobs,
    }


def main() -> None:
    """Run both parts in fresh processes and print the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--part", choices=["floor", "privault", "init"])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.part == "init":
        from privault.config import Settings
        from privault.home import init_home

        init_home(Settings(home=args.workdir / "home"))
        print("{}")
        return
    if args.part:
        part = floor_part if args.part == "floor" else privault_part
        print(json.dumps(part(args.source, args.workdir)))
        return
    print(f"ingest: {args.count:,} customers x {len(FIELDS)} PII fields, SQLite")
    source = customers_csv(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        floor = run_part(
            Path(__file__), "--part", "floor", "--source", str(source), "--workdir", tmp
        )
        # The home is made in its own process, as `privault init` would, so the import's
        # memory figure is the import's alone.
        run_part(Path(__file__), "--part", "init", "--workdir", tmp)
        ours = run_part(
            Path(__file__), "--part", "privault", "--source", str(source), "--workdir", tmp
        )
    floor_rate = floor["records"] / floor["seconds"]
    our_rate = ours["records"] / ours["seconds"]
    print(f"  floor    : {floor_rate:,.0f} records/s ({floor['seconds']:.2f} s)")
    print(
        f"  privault : {our_rate:,.0f} records/s ({ours['seconds']:.2f} s, "
        f"{ours['jobs']} worker process(es))\n"
        f"  peak memory: {ours['peak_mb']:.0f} MB in all processes (main "
        f"{ours['main_mb']:.0f} MB + {ours['jobs']} x {ours['worker_mb']:.0f} MB), "
        f"target <= 300 MB "
        f"{'OK' if ours['peak_mb'] <= 300 else 'MISSED'}"
    )
    print(ratio_line("ingest", our_rate, floor_rate, 3.0, "records/s"))


if __name__ == "__main__":
    main()
