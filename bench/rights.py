"""Rights benchmark: the access package of a customer with 1,000 records, and a whole erasure
request on a 10,000- and a 200,000-customer database.

Access: completing an access request (decrypt every record, build the package with the
customer's consents and access history, seal it, issue a download link, audit, commit), beside
a floor measured in the same run: `sqlite3` select of the same rows, AES-256-GCM decryption of
every field with `cryptography` under the unwrapped customer key, `json.dumps` of the values
and one AES-GCM seal of the JSON.

Erasure: completing an erasure request (decrypt, keep the legal-obligation fields under a
retention key, write the erasure ledger, delete records, tokens and lookups, sign the
certificate, audit, commit). Both databases are filled with the bulk import; the floor is the
same erasure on the small database. Erasure must not grow with the database.

Run: .venv/bin/python bench/rights.py [--small N] [--large N] [--erasures N] [--records N]
Target: median erasure on the large database <= 1.5x the small one (exit status 1 if missed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import customers_csv

BENCH = Path(__file__).resolve().parent
# bench/http.py would shadow the standard library's `http` (httpx, which the rights domain
# loads through webhooks, imports http.client): take this folder off the path again.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

if TYPE_CHECKING:
    from privault.config import Settings
    from privault.vault import Vault

ACCESS_SUBJECT = "C-ACCESS"
ACTOR = "operator:bench"
TARGET = 1.5


def _home(workdir: Path, name: str) -> Settings:
    from privault.config import Settings
    from privault.home import init_home

    settings = Settings(home=workdir / name)
    init_home(settings)
    return settings


def _ready(vault: Vault, subject: str, kind: str, at: datetime) -> str:
    """A request of ``kind`` opened, verified and approved (not timed); its id."""
    from privault.rights import approve, open_request, verify_identity

    with vault.session() as s:
        request = open_request(
            db_session=s,
            audit=vault.audit,
            subject_id=subject,
            request_type=kind,
            regime="gdpr",
            at=at,
            actor=ACTOR,
        ).request
        verify_identity(
            db_session=s,
            audit=vault.audit,
            request_id=request.id,
            method="operator",
            reason="benchmark",
            at=at,
            actor=ACTOR,
        )
        approve(db_session=s, audit=vault.audit, request_id=request.id, at=at, actor=ACTOR)
        return request.id


def _complete(vault: Vault, request_id: str) -> float:
    """Seconds to complete a request in its own transaction, commit included."""
    from privault.rights.fulfil import Fulfiller, complete_request

    fulfiller = Fulfiller.of(vault)
    started = time.perf_counter()
    with vault.session() as s:
        complete_request(
            db_session=s,
            fulfiller=fulfiller,
            request_id=request_id,
            at=vault.records.clock.now(),
            actor=ACTOR,
        )
    return time.perf_counter() - started


def _access_floor(vault: Vault, settings: Settings) -> float:
    """The raw cost of an access package: select, decrypt every field, JSON, one seal."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from privault.crypto import subject_keys
    from privault.vault.rules import unpack_fields

    with vault.session() as s:
        key = subject_keys.get(db_session=s, subject_id=ACCESS_SUBJECT)
        if key is None:
            raise SystemExit("the access customer has no key")
        region, key_id, wrapped = key.region, key.key_id, bytes(key.wrapped_key)
    # How privault wraps a customer key (crypto/keystore.py): the unwrap is outside the timing.
    context = f"privault/subject-key/v1\x00{region}\x00{key_id}\x00{ACCESS_SUBJECT}".encode()
    aead = AESGCM(vault.keys.masters.unwrap(region, wrapped, context))
    seal = AESGCM(os.urandom(32))
    path = settings.database_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    rows = connection.execute(
        "SELECT id, collection, fields FROM records WHERE subject_id = ?", (ACCESS_SUBJECT,)
    ).fetchall()
    values = []
    for record_id, collection, packed in rows:
        fields = {}
        for name, ciphertext in unpack_fields(packed).items():
            prefix, nonce = ciphertext[:5], ciphertext[5:17]
            associated = (
                prefix + f"{collection}\x1f{name}\x1f{record_id}\x1f{ACCESS_SUBJECT}".encode()
            )
            fields[name] = aead.decrypt(nonce, ciphertext[17:], associated).decode()
        values.append({"id": record_id, "collection": collection, "fields": fields})
    body = json.dumps(values).encode()
    nonce = os.urandom(12)
    seal.encrypt(nonce, body, b"request")
    elapsed = time.perf_counter() - started
    connection.close()
    if len(rows) != len(values) or not rows:
        raise SystemExit("access floor read no rows")
    return elapsed


def access(workdir: Path, records: int, runs: int) -> tuple[float, float]:
    """Median seconds to complete an access request for a customer with ``records`` records,
    and the floor's median."""
    from privault.vault import RecordCreate, Vault

    settings = _home(workdir, "access")
    with Vault.open(settings, actor=ACTOR) as vault:
        vault.put("customers", ACCESS_SUBJECT, {"email": "access@example.com", "name": "A B"})
        orders = [
            RecordCreate(
                "orders",
                ACCESS_SUBJECT,
                {
                    "billing_address": f"{n} High Street, London",
                    "shipping_address": f"{n} Low Road, Leeds",
                    "iban": "DE89370400440532013000",
                    "ip_address": "203.0.113.7",
                },
            )
            for n in range(records - 1)
        ]
        vault.put_many(orders)
        ours, floor = [], []
        for _ in range(runs):
            request_id = _ready(vault, ACCESS_SUBJECT, "access", vault.records.clock.now())
            ours.append(_complete(vault, request_id))
            floor.append(_access_floor(vault, settings))
    return statistics.median(ours), statistics.median(floor)


def build(workdir: Path, customers: int) -> Settings:
    """A home holding ``customers`` customers, filled by the bulk import (two workers)."""
    from privault.vault import Vault
    from privault.vault.importer import import_file

    source = customers_csv(customers)
    settings = _home(workdir, f"erase-{customers}")
    with Vault.open(settings, actor=ACTOR) as vault:
        started = time.perf_counter()
        report = import_file(
            source,
            collection="customers",
            subject_column="customer_id",
            records=vault.records,
            sessions=vault.database.session,
            batch_size=settings.imports.batch_size,
            jobs=2,
            settings=settings,
            audit=vault.audit,
        )
    if report.rows_failed or report.rows_imported != customers:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    print(f"  (imported {customers:,} customers in {time.perf_counter() - started:.1f} s)")
    return settings


def erasures(homes: dict[int, Settings], count: int) -> dict[int, list[float]]:
    """Seconds per erasure request on each database (customers -> home).

    The databases take turns, one erasure each, so a change in the machine's load while the
    benchmark runs weighs on both alike and leaves their ratio alone.
    """
    from privault.vault import Vault

    vaults = {size: Vault.open(settings, actor=ACTOR) for size, settings in homes.items()}
    timings: dict[int, list[float]] = {size: [] for size in homes}
    try:
        picks = {size: random.Random(7).sample(range(size), count) for size in homes}
        for turn in range(count):
            for size, vault in vaults.items():
                subject = f"C{picks[size][turn]:07d}"
                request_id = _ready(vault, subject, "erasure", vault.records.clock.now())
                timings[size].append(_complete(vault, request_id))
    finally:
        for vault in vaults.values():
            vault.close()
    return timings


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> int:
    """Measure access and erasure; print figures, floors and ratios; 1 if the target is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--erasures", type=int, default=100)
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--access-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours, floor = access(Path(tmp), args.records, args.access_runs)
        print(
            f"rights access: {args.records:,} records, median {_ms(ours)} per completed "
            f"request; floor (select, AES-GCM decrypt, JSON, seal) {_ms(floor)}; "
            f"ratio privault/floor (time) = {ours / floor:.2f}"
        )
        print(
            f"rights erase: {args.erasures} erasure requests on {args.small:,} and {args.large:,}"
        )
        homes = {size: build(Path(tmp), size) for size in (args.small, args.large)}
        measured = erasures(homes, args.erasures)
    small, large = measured[args.small], measured[args.large]
    for size, timings in ((args.small, small), (args.large, large)):
        p95 = sorted(timings)[int(len(timings) * 0.95)]
        print(
            f"  {size:>9,} customers: median {_ms(statistics.median(timings))} per erasure "
            f"(p95 {_ms(p95)})"
        )
    ratio = statistics.median(large) / statistics.median(small)
    verdict = "OK" if ratio <= TARGET else "MISSED"
    print(f"rights erase: large/small = {ratio:.2f} (target <= {TARGET}) {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
