"""Column classification on a real database: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import BigInteger, Column, Integer, MetaData, Numeric, String, Table, create_engine

from privault.dlp import classify_columns
from privault.errors import InvalidInput, NotFound

PG_URL = os.environ.get("PRIVAULT_TEST_DATABASE_URL", "")
PII_COLUMNS = {
    "email": "email",
    "phone": "phone",
    "card_number": "card",
    "iban": "iban",
    "client_ip": "ip_address",
}


def _luhn(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)


def _fill(url: str, name: str) -> None:
    """A table of mixed columns: five with personal data, five without."""
    rng = random.Random(7)
    engine = create_engine(url)
    table = Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("email", String(100)),
        Column("phone", String(40)),
        Column("card_number", BigInteger),
        Column("iban", String(40)),
        Column("client_ip", String(40)),
        Column("sku", String(40)),
        Column("ean", String(20)),
        Column("order_ref", String(40)),
        Column("total", Numeric(10, 2)),
        Column("note", String(200)),
    )
    ibans = ["DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300"]
    rows = [
        {
            "id": i,
            "email": f"customer{i}@example.com",
            "phone": f"+44 20 7946 {rng.randint(0, 9999):04d}",
            "card_number": int(
                _luhn("2223" + "".join(rng.choice("0123456789") for _ in range(11)))
            ),
            "iban": ibans[i % 3],
            "client_ip": f"203.0.113.{i % 250 + 1}",
            "sku": f"SKU-{rng.randint(10000, 99999)}-XL",
            "ean": "4006381333931",
            "order_ref": f"ORD-2024-{i:06d}",
            "total": rng.randint(100, 99999) / 100,
            "note": "left at the door" if i % 8 else "call back on jo@example.com",
        }
        for i in range(1, 81)
    ]
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()


def _drop(url: str, name: str) -> None:
    engine = create_engine(url)
    Table(name, MetaData()).drop(engine, checkfirst=True)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def mixed_table(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[tuple[str, str]]:
    """(database URL, table name) of a freshly filled mixed table, dropped afterwards."""
    name = f"dlp_mixed_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/shop.db"
    else:
        if not PG_URL:
            pytest.skip("PRIVAULT_TEST_DATABASE_URL is not set")
        url = PG_URL
    _fill(url, name)
    try:
        yield url, name
    finally:
        _drop(url, name)


def test_personal_data_columns_are_found_and_no_others(mixed_table: tuple[str, str]) -> None:
    """Exactly the five personal-data columns are classified, each with its type."""
    url, name = mixed_table
    results = classify_columns(url, table=name, sample=50)
    assert {r.column: r.pii_type for r in results if r.pii_type} == PII_COLUMNS
    for result in results:
        assert result.sampled == 50
        if result.pii_type:
            assert result.share == 1.0
            assert result.confidence >= 0.8


def test_occasional_mention_does_not_classify_a_column(mixed_table: tuple[str, str]) -> None:
    """A notes column with an address in one row of eight reports its share but no type."""
    url, name = mixed_table
    note = next(r for r in classify_columns(url, table=name) if r.column == "note")
    assert note.pii_type is None
    assert 0 < note.share < 0.3


def test_missing_table_is_not_found(mixed_table: tuple[str, str]) -> None:
    """Asking for a table that does not exist is NotFound."""
    with pytest.raises(NotFound):
        classify_columns(mixed_table[0], table="no_such_table_here")


def test_bad_url_is_invalid_input() -> None:
    """A string that is not a database URL is InvalidInput."""
    with pytest.raises(InvalidInput):
        classify_columns("not a url")


def test_sample_must_be_positive(tmp_path: object) -> None:
    """A sample size below one is refused."""
    with pytest.raises(InvalidInput):
        classify_columns(f"sqlite:///{tmp_path}/x.db", sample=0)
