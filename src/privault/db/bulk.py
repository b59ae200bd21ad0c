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

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from privault.errors import Unavailable


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


class PreparedSelect:
    """A select compiled once per dialect and run through the driver, for hot read paths.

    SQLAlchemy rebuilds and re-keys a statement on every execution; for a single-row lookup that
    costs several times the query itself. This compiles once, runs ``exec_driver_sql`` and
    applies each column's result conversion (e.g. UTC timestamps).
    """

    def __init__(self, stmt: Select[Any]) -> None:
        self._stmt = stmt
        self._compiled: dict[str, tuple[str, list[str] | None, list[tuple[int, Any]]]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, list[str] | None, list[tuple[int, Any]]]:
        compiled = self._stmt.compile(dialect=dialect)
        processors = [
            (index, processor)
            for index, column in enumerate(self._stmt.selected_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]
        order = list(compiled.positiontup or []) if compiled.positional else None
        return str(compiled), order, processors

    def first(self, db_session: Session, **params: Any) -> tuple[Any, ...] | None:
        """The first row for ``params`` (bind names of the statement), converted, or None."""
        rows = self._run(db_session, params, many=False)
        return rows[0] if rows else None

    def all(
        self, db_session: Session, *, limit: int | None = None, **params: Any
    ) -> list[tuple[Any, ...]]:
        """Every row for ``params`` (the first ``limit`` when given), converted."""
        return self._run(db_session, params, many=True, limit=limit)

    def _run(
        self, db_session: Session, params: dict[str, Any], *, many: bool, limit: int | None = None
    ) -> list[tuple[Any, ...]]:
        connection = db_session.connection()
        dialect = connection.dialect
        entry = self._compiled.get(dialect.name)
        if entry is None:
            entry = self._compiled[dialect.name] = self._compile(dialect)
        sql, order, processors = entry
        bound: Any = tuple(params[name] for name in order) if order is not None else params
        # The session's own DBAPI connection (same transaction); SQLAlchemy's result wrapper
        # is skipped because building it costs more than the lookup.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, bound)
            if many:
                rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
            else:
                one = cursor.fetchone()
                rows = [] if one is None else [one]
        except dialect.loaded_dbapi.OperationalError as exc:
            raise Unavailable(
                f"database unavailable ({type(exc).__name__})", code="database_unavailable"
            ) from exc
        finally:
            cursor.close()
        if not processors:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for index, processor in processors:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        return converted
