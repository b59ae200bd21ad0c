"""Bulk inserts at driver speed, for the import path.

SQLAlchemy's ORM bulk insert converts every value of every row through the column types; for
hundreds of thousands of rows that costs more than the encryption. Here the statement is
compiled once per batch, values that are the same for every row of a batch (timestamps) are
converted once, and the rows go to the driver's ``executemany`` as they are. Only columns whose
values need no conversion may vary per row (strings, bytes, integers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_rows(
    db_session: Session,
    table: Table,
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    constants: Mapping[str, Any] | None = None,
    skip_conflicts_on: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` (tuples ordered as ``columns``) plus ``constants`` in every row.

    ``skip_conflicts_on`` makes rows clashing on those columns be skipped (ON CONFLICT DO
    NOTHING). Returns the driver's row count (rows inserted), or -1 if the driver cannot tell.
    """
    if not rows:
        return 0
    connection = db_session.connection()
    dialect = connection.dialect
    constants = dict(constants or {})
    names = [*columns, *constants]
    stmt: Any
    if skip_conflicts_on and dialect.name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=skip_conflicts_on)
    elif skip_conflicts_on and dialect.name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=skip_conflicts_on)
    else:
        stmt = table.insert()
    compiled = stmt.compile(dialect=dialect, column_keys=names)
    converted: dict[str, Any] = {}
    for name, value in constants.items():
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        converted[name] = processor(value) if processor else value
    params: list[Any]
    if compiled.positional:
        index = {name: i for i, name in enumerate(columns)}
        slots = [
            (False, converted[name]) if name in converted else (True, index[name])
            for name in compiled.positiontup or []
        ]
        params = [
            tuple(row[slot] if from_row else slot for from_row, slot in slots) for row in rows
        ]
    else:
        params = [{**dict(zip(columns, row, strict=True)), **converted} for row in rows]
    result = connection.exec_driver_sql(str(compiled), params)
    return int(result.rowcount if result.rowcount is not None else -1)
