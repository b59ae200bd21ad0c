"""Bulk import: bad rows reported by line, good rows land, dry runs write nothing, crashes
leave no partial batch."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from privault.config import Settings
from privault.crypto.models import SubjectKey
from privault.errors import InvalidInput
from privault.vault import Vault
from privault.vault.fake import COLUMNS, fake_customers, write_customers_csv
from privault.vault.importer import import_stream
from privault.vault.models import Record

HEADER = ",".join(COLUMNS)
GOOD = (
    "C1,ada@example.com,Ada Lovelace,+44 20 7946 0958,"
    '"12 High St, London",1990-05-17,4111111111111111'
)
GOOD2 = "C2,bob@example.com,Bob Byte,+1 415 555 2671,1 Main St,1985-01-02,5555555555554444"


def run_import(vault: Vault, data: str | bytes, *, fmt: str = "csv", **kwargs: object) -> object:
    """Import in-process through the same code path as the CLI."""
    raw = data.encode() if isinstance(data, str) else data
    return import_stream(
        io.BytesIO(raw),
        fmt=fmt,
        collection="customers",
        subject_column="customer_id",
        records=vault.records,
        sessions=vault.database.session,
        **kwargs,  # type: ignore[arg-type]
    )


def count_records(vault: Vault) -> int:
    """Records stored."""
    with vault.session() as db_session:
        return int(db_session.scalar(select(func.count()).select_from(Record)) or 0)


class TestImport:
    """CSV and JSON Lines import."""

    def test_bad_rows_are_reported_and_good_rows_land(self, vault: Vault) -> None:
        """Each bad row is named by line and reason; the rest are stored."""
        data = "\n".join(
            [
                HEADER,
                GOOD,
                "C3,not-an-email,Carl,+1 415 555 2671,x,1990-01-01,4111111111111111",
                GOOD2,
                "C4,d@example.com,Dee,+1 415 555 2671,x,17/05/1990,4111111111111111",
                "C5,e@example.com,Eve",
                ",f@example.com,Fay,+1 415 555 2671,x,1990-01-01,4111111111111111",
            ]
        )
        report = run_import(vault, data)
        assert report.rows_imported == 2  # type: ignore[attr-defined]
        assert [(e.line, e.reason) for e in report.errors] == [  # type: ignore[attr-defined]
            (3, "field 'email': not a valid email address"),
            (5, "field 'birth_date': not a date in YYYY-MM-DD form"),
            (6, "wrong number of columns"),
            (7, "column 'customer_id': customer id must have 1 to 255 characters"),
        ]
        assert count_records(vault) == 2

    def test_reasons_never_contain_values(self, vault: Vault) -> None:
        """A bad value is described, never echoed."""
        data = f"{HEADER}\nC1,secret-canary-value,Ada,+1 415 555 2671,x,1990-01-01,4111111111111111"
        report = run_import(vault, data)
        assert "secret-canary-value" not in str(report.errors)  # type: ignore[attr-defined]

    def test_unknown_column_is_refused_before_anything_lands(self, vault: Vault) -> None:
        """An undeclared column in the header stops the import at line 1."""
        data = f"{HEADER},shoe_size\n{GOOD},42"
        with pytest.raises(InvalidInput, match=r"line 1: unknown column\(s\) 'shoe_size'"):
            run_import(vault, data)
        assert count_records(vault) == 0

    def test_dry_run_validates_and_writes_nothing(self, vault: Vault) -> None:
        """--dry-run reports what would fail and stores nothing."""
        report = run_import(vault, f"{HEADER}\n{GOOD}\nC2,bad,B,1,x,1990-01-01,1", dry_run=True)
        assert report.rows_imported == 1  # type: ignore[attr-defined]
        assert report.rows_failed == 1  # type: ignore[attr-defined]
        assert count_records(vault) == 0

    def test_json_lines_with_per_row_unknown_field(self, vault: Vault) -> None:
        """JSON Lines rows are checked one by one, including unknown keys."""
        data = "\n".join(
            [
                '{"customer_id": "C1", "email": "a@example.com", "name": "A"}',
                '{"customer_id": "C2", "email": "b@example.com", "shoe": "42"}',
                "not json",
                "[1, 2]",
                '{"customer_id": "C3", "email": "c@example.com", "phone": 4155552671}',
                "",
                '{"customer_id": "C4", "email": "d@example.com"}',
            ]
        )
        report = run_import(vault, data, fmt="jsonl")
        assert report.rows_imported == 2  # type: ignore[attr-defined]
        assert [(e.line, e.reason) for e in report.errors] == [  # type: ignore[attr-defined]
            (2, "field 'shoe' is not declared in collection 'customers'"),
            (3, "not valid JSON"),
            (4, "not a JSON object"),
            (5, "field 'phone': must be a string"),
        ]

    def test_batches_commit_separately(self, vault: Vault) -> None:
        """Several batches all land, and customers keep one key each."""
        buffer = io.StringIO()
        write_customers_csv(buffer, 25, seed=7)
        report = run_import(vault, buffer.getvalue(), batch_size=10)
        assert report.rows_imported == 25  # type: ignore[attr-defined]
        with vault.session() as db_session:
            assert db_session.scalar(select(func.count()).select_from(SubjectKey)) == 25

    def test_not_utf8_is_a_clear_error(self, vault: Vault) -> None:
        """Binary garbage is refused with an encoding message."""
        with pytest.raises(InvalidInput, match="not UTF-8"):
            run_import(vault, HEADER.encode() + b"\n\xff\xfe\xfa,\x00\n")

    def test_empty_file_is_a_clear_error(self, vault: Vault) -> None:
        """A file without a header says so."""
        with pytest.raises(InvalidInput, match="empty"):
            run_import(vault, "")

    def test_synthetic_customers_all_import(self, vault: Vault) -> None:
        """Every row the generator makes is valid for the starter data map."""
        buffer = io.StringIO()
        write_customers_csv(buffer, 300, seed=11)
        report = run_import(vault, buffer.getvalue())
        assert report.rows_failed == 0, report.errors  # type: ignore[attr-defined]


class TestFake:
    """The synthetic customer generator."""

    def test_seeded_output_is_reproducible(self) -> None:
        """The same seed gives the same customers."""
        assert list(fake_customers(5, seed=3)) == list(fake_customers(5, seed=3))

    def test_columns_match_the_contract(self) -> None:
        """The CSV has exactly the documented columns."""
        buffer = io.StringIO()
        write_customers_csv(buffer, 2, seed=1)
        assert buffer.getvalue().splitlines()[0] == HEADER


def test_killed_import_leaves_no_partial_batch(settings: Settings, tmp_path: Path) -> None:
    """A process killed mid-import leaves only whole batches: no record without its batch."""
    source = tmp_path / "customers.csv"
    with source.open("w") as handle:
        write_customers_csv(handle, 20_000, seed=5)
    env = {
        **os.environ,
        "PRIVAULT_HOME": str(settings.home),
        "PRIVAULT_DATABASE__URL": settings.database_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "privault", "import", str(source), "--batch-size", "500", "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with Vault.open(settings) as vault:
        deadline = time.monotonic() + 60
        while count_records(vault) < 1000 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Worker processes finish the batch they were writing, then stop: wait for quiet.
        settled = -1
        while (records := count_records(vault)) != settled:
            settled = records
            time.sleep(1.0)
        assert 0 < records < 20_000, "the import must be interrupted mid-way for this test"
        assert records % 500 == 0
        with vault.session() as db_session:
            keys = db_session.scalar(select(func.count()).select_from(SubjectKey))
        assert keys == records
