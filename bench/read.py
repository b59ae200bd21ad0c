"""Read benchmark: read 10,000 random records with all fields through the vault's read path
(`RecordService.get`: select record and customer key, unwrap the key, decrypt every field),
beside floors measured in the same run on the same records.

Floor (the target's): the same work done raw, with no privault code: one `sqlite3` select of
the same record and key rows (same tables, same join), AES-256-GCM unwrap of the customer key
with the master key's raw bytes, and AES-256-GCM decryption of every field with
`cryptography`. The ratio is what privault's own code costs over the primitives its design
needs.

Plain floor (printed for context): a plain table of the same ciphertexts under one key, a
select by primary key and AES-GCM decryption of every field: what a design without
per-customer keys would cost.

Run: .venv/bin/python bench/read.py [--customers N] [--reads N]
Target: ratio <= 3 against the floor.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

# The folder goes last on the path: bench/http.py would shadow the standard library's `http`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

from _common import customers_csv, ratio_line  # noqa: E402 - after the path fix above

FIELDS = ("email", "name", "phone", "address", "birth_date", "card")
JOIN = (
    "SELECT r.id, r.collection, r.subject_id, r.fields, k.region, k.key_id, k.wrapped_key "
    "FROM records r JOIN subject_keys k ON k.subject_id = r.subject_id "
    "WHERE r.id = ? AND r.collection = ?"
)


def master_keys_raw(vault: object) -> dict[int, bytes]:
    """Raw AES key bytes of every master key version of region eu (benchmark only)."""
    from tink.proto import aes_gcm_pb2

    keyset = vault.keys.masters._get("eu").keyset()  # type: ignore[attr-defined]
    return {
        key.key_id: aes_gcm_pb2.AesGcmKey.FromString(key.key_data.value).key_value
        for key in keyset.key
    }


def floor_same_design(db_path: Path, sample: list[str], masters: dict[int, bytes]) -> float:
    """Raw select + unwrap + decrypt of the records privault stores."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from privault.vault.rules import unpack_fields

    master = {key_id: AESGCM(raw) for key_id, raw in masters.items()}
    connection = sqlite3.connect(db_path)
    started = time.perf_counter()
    for record_id in sample:
        rid, collection, subject, fields, region, key_id, wrapped = connection.execute(
            JOIN, (record_id, "customers")
        ).fetchone()
        context = f"privault/subject-key/v1\x00{region}\x00{key_id}\x00{subject}".encode()
        data_key = master[int.from_bytes(wrapped[1:5], "big")].decrypt(
            wrapped[5:17], wrapped[17:], context
        )
        aead = AESGCM(data_key)
        for name, blob in unpack_fields(fields).items():
            associated = blob[:5] + f"{collection}\x1f{name}\x1f{rid}\x1f{subject}".encode()
            aead.decrypt(blob[5:17], blob[17:], associated).decode()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def floor_plain(workdir: Path, sample: list[str], values: dict[str, str], ids: list[str]) -> float:
    """One plain table, one key: select by id and decrypt six fields."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(os.urandom(32))
    connection = sqlite3.connect(workdir / "plain.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE t (id TEXT PRIMARY KEY, email BLOB, name BLOB, phone BLOB, "
        "address BLOB, birth_date BLOB, card BLOB)"
    )
    rows = []
    for record_id in ids:
        encrypted = []
        for name in FIELDS:
            nonce = os.urandom(12)
            encrypted.append(nonce + aead.encrypt(nonce, values[name].encode(), None))
        rows.append((record_id, *encrypted))
    connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    connection.commit()
    started = time.perf_counter()
    for record_id in sample:
        row = connection.execute("SELECT * FROM t WHERE id = ?", (record_id,)).fetchone()
        for blob in row[1:]:
            aead.decrypt(blob[:12], blob[12:], None).decode()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    """Build a vault, then time our reads and the floors' on the same random sample."""
    from privault.config import Settings
    from privault.home import init_home
    from privault.vault import Vault
    from privault.vault.importer import import_file
    from privault.vault.models import Record

    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=10_000)
    args = parser.parse_args()
    source = customers_csv(args.customers)
    print(f"read: {args.reads:,} random records of {args.customers:,} customers, all 6 fields")
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        init_home(settings)
        with Vault.open(settings) as vault:
            import_file(
                source,
                collection="customers",
                subject_column="customer_id",
                records=vault.records,
                sessions=vault.database.session,
            )
            with vault.session() as db_session:
                ids = [row[0] for row in db_session.query(Record.id)]
            sample = rng.sample(ids, min(args.reads, len(ids)))
            get = vault.records.get
            started = time.perf_counter()
            with vault.session() as db_session:
                for record_id in sample:
                    record = get(db_session=db_session, collection="customers", record_id=record_id)
                    if len(record.values) != len(FIELDS):
                        raise SystemExit("a record came back incomplete")
            ours_s = time.perf_counter() - started
            values = vault.get("customers", ids[0]).values
            masters = master_keys_raw(vault)
        floor_s = floor_same_design(settings.home / "privault.db", sample, masters)
        plain_s = floor_plain(Path(tmp), sample, values, ids)
    n = len(sample)
    print(f"  privault                     : {n / ours_s:,.0f} reads/s ({ours_s / n * 1e6:.0f} us)")
    print(
        f"  floor (raw, same design)     : {n / floor_s:,.0f} reads/s ({floor_s / n * 1e6:.0f} us)"
    )
    print(
        f"  plain floor (one key, table) : {n / plain_s:,.0f} reads/s ({plain_s / n * 1e6:.0f} us)"
        f"; privault/plain = {ours_s / plain_s:.2f}"
    )
    print(ratio_line("read", n / ours_s, n / floor_s, 3.0, "reads/s"))


if __name__ == "__main__":
    main()
