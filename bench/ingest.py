"""Ingest benchmark: import 100,000 synthetic customers (6 PII fields) through `privault import`'s
code path, beside two floors measured in the same run.

Foundation floor: AES-256-GCM of every field with `cryptography` under one key, plus
`sqlite3.executemany` of the ciphertexts into a plain table, committed once.

Same-design floor (the one the target applies to since tokens and search landed): what the
design asks for done with raw primitives on one core: a new data key per customer wrapped with
AES-GCM, six AES-GCM fields, the lookups of the starter map (blind-index HMAC-SHA256 of email,
name and phone with the phone brought to E.164 by `phonenumbers`, the deterministic email token,
the card token made Luhn-invalid), `executemany` into keys, records and lookups tables with the
same indexes, committed per 1,000 rows.

Run: .venv/bin/python bench/ingest.py [--count N]
Targets: ratio to the same-design floor <= 3, peak memory of the import <= 300 MB.
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

# The folder goes last on the path: bench/http.py would shadow the standard library's `http`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

from _common import customers_csv, peak_rss_mb, ratio_line, run_part  # noqa: E402 - after the path fix above

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


def _design_schema(connection: sqlite3.Connection) -> None:
    """Keys, records and lookups tables with the indexes privault has."""
    connection.execute("CREATE TABLE k (subject TEXT PRIMARY KEY, key_id TEXT, wrapped BLOB)")
    connection.execute(
        "CREATE TABLE r (id TEXT PRIMARY KEY, subject TEXT, fields BLOB, tokens TEXT)"
    )
    connection.execute("CREATE INDEX r_subject ON r (subject)")
    connection.execute(
        "CREATE TABLE l (record_id TEXT, field TEXT, kind TEXT, digest BLOB, "
        "PRIMARY KEY (record_id, field, kind)) WITHOUT ROWID"
    )
    connection.execute("CREATE INDEX l_digest ON l (kind, digest)")


def design_floor_part(source: Path, workdir: Path) -> dict[str, float]:
    """The same design with raw primitives, one core (see the module docstring)."""
    import hashlib
    import hmac
    import secrets

    import phonenumbers
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    master = AESGCM(os.urandom(32))
    keys = {label: os.urandom(32) for label in ("email", "name", "phone", "dtoken")}
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    connection = sqlite3.connect(workdir / "design.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    _design_schema(connection)

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    def card_token(number: str) -> str:
        while True:
            hidden = len(number) - 10
            middle = str(secrets.randbelow(10**hidden)).zfill(hidden)
            candidate = number[:6] + middle + number[-4:]
            total = 0
            for i, ch in enumerate(reversed(candidate)):
                d = int(ch) * (2 if i % 2 else 1)
                total += d - 9 if d > 9 else d
            if total % 10:
                return candidate

    started = time.perf_counter()
    for start in range(0, len(rows), 1000):
        key_rows, record_rows, lookup_rows = [], [], []
        for n, row in enumerate(rows[start : start + 1000], start):
            data_key = AESGCM.generate_key(256)
            nonce = os.urandom(12)
            key_rows.append(
                (row["customer_id"], f"k{n}", nonce + master.encrypt(nonce, data_key, None))
            )
            aead = AESGCM(data_key)
            record_id = f"rec_{n:032x}"
            packed = bytearray()
            for name in FIELDS:
                nonce = os.urandom(12)
                packed += nonce + aead.encrypt(nonce, row[name].encode(), record_id.encode())
            email = row["email"].strip().lower()
            try:
                phone = phonenumbers.format_number(
                    phonenumbers.parse(row["phone"], "US"), phonenumbers.PhoneNumberFormat.E164
                )
            except phonenumbers.NumberParseException:
                phone = row["phone"]
            card = card_token(row["card"].replace(" ", ""))
            dtoken = mac(keys["dtoken"], email)[:20]
            record_rows.append(
                (record_id, row["customer_id"], bytes(packed), f'{{"card":"{card}"}}')
            )
            lookup_rows += [
                (record_id, "email", "search", mac(keys["email"], email)),
                (record_id, "email", "dtoken", dtoken),
                (
                    record_id,
                    "name",
                    "search",
                    mac(keys["name"], " ".join(row["name"].casefold().split())),
                ),
                (record_id, "phone", "search", mac(keys["phone"], phone)),
                (record_id, "card", "card", card.encode()),
            ]
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO k VALUES (?, ?, ?)", key_rows)
        connection.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", record_rows)
        connection.executemany("INSERT INTO l VALUES (?, ?, ?, ?)", lookup_rows)
        connection.execute("COMMIT")
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
    parser.add_argument("--part", choices=["floor", "design", "privault", "init"])
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
        parts = {"floor": floor_part, "design": design_floor_part, "privault": privault_part}
        part = parts[args.part]
        print(json.dumps(part(args.source, args.workdir)))
        return
    print(f"ingest: {args.count:,} customers x {len(FIELDS)} PII fields, SQLite")
    source = customers_csv(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        floor = run_part(
            Path(__file__), "--part", "floor", "--source", str(source), "--workdir", tmp
        )
        design = run_part(
            Path(__file__), "--part", "design", "--source", str(source), "--workdir", tmp
        )
        # The home is made in its own process, as `privault init` would, so the import's
        # memory figure is the import's alone.
        run_part(Path(__file__), "--part", "init", "--workdir", tmp)
        ours = run_part(
            Path(__file__), "--part", "privault", "--source", str(source), "--workdir", tmp
        )
    floor_rate = floor["records"] / floor["seconds"]
    design_rate = design["records"] / design["seconds"]
    our_rate = ours["records"] / ours["seconds"]
    print(
        f"  foundation floor : {floor_rate:,.0f} records/s ({floor['seconds']:.2f} s; "
        f"privault/floor = {floor_rate / our_rate:.2f}, for reference)"
    )
    print(
        f"  same-design floor: {design_rate:,.0f} records/s ({design['seconds']:.2f} s, one core)"
    )
    print(
        f"  privault : {our_rate:,.0f} records/s ({ours['seconds']:.2f} s, "
        f"{ours['jobs']} worker process(es))\n"
        f"  peak memory: {ours['peak_mb']:.0f} MB in all processes (main "
        f"{ours['main_mb']:.0f} MB + {ours['jobs']} x {ours['worker_mb']:.0f} MB), "
        f"target <= 300 MB "
        f"{'OK' if ours['peak_mb'] <= 300 else 'MISSED'}"
    )
    print(ratio_line("ingest", our_rate, design_rate, 3.0, "records/s"))


if __name__ == "__main__":
    main()
