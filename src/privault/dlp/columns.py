"""Database column classification: sample rows per column and say which hold personal data.

This is the data-discovery step: it tells a shop where personal data lives that its data map
does not declare. Values are read through SQLAlchemy (any URL it supports) and never leave
this function: the result holds types, shares and confidences only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from privault.dlp.engine import Scanner
from privault.dlp.scanners import analyze_segments
from privault.errors import InvalidInput, NotFound, Unavailable

__all__ = ["ColumnClassification", "classify_columns"]


@dataclass(frozen=True, slots=True)
class ColumnClassification:
    """One column's verdict: its PII type (None when it holds none) and how sure we are.

    ``share`` is the fraction of sampled non-empty values with a finding of ``pii_type``;
    ``confidence`` is that share times the mean detector confidence.
    """

    table: str
    column: str
    pii_type: str | None
    share: float
    confidence: float
    sampled: int


def classify_columns(
    url: str,
    *,
    table: str | None = None,
    sample: int = 200,
    min_share: float = 0.3,
    scanner: Scanner | None = None,
    schema: str | None = None,
) -> list[ColumnClassification]:
    """Classify every column of ``table`` (or of every table) behind a SQLAlchemy ``url``."""
    if sample < 1:
        raise InvalidInput("sample must be at least 1", code="dlp_bad_sample")
    try:
        engine = create_engine(make_url(url))
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise InvalidInput("not a usable database URL", code="dlp_bad_url") from exc
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        return _classify(
            engine,
            table=table,
            schema=schema,
            sample=sample,
            min_share=min_share,
            scanner=scanner or Scanner(),
        )
    except NoSuchTableError as exc:
        raise NotFound("no such table", code="dlp_no_table", table=table) from exc
    except SQLAlchemyError as exc:
        raise Unavailable(
            "database could not be read", code="dlp_db_unavailable", url=shown
        ) from exc
    finally:
        engine.dispose()


def _classify(
    engine: Engine,
    *,
    table: str | None,
    schema: str | None,
    sample: int,
    min_share: float,
    scanner: Scanner,
) -> list[ColumnClassification]:
    names: Sequence[str] = [table] if table else inspect(engine).get_table_names(schema=schema)
    results: list[ColumnClassification] = []
    with engine.connect() as connection:
        for name in names:
            reflected = Table(name, MetaData(), autoload_with=connection, schema=schema)
            for column in reflected.columns:
                query = select(column).where(column.is_not(None)).limit(sample)
                values = ["" if v is None else str(v) for v in connection.execute(query).scalars()]
                results.append(_verdict(name, column.name, values, scanner, min_share))
    return results


def _verdict(
    table: str, column: str, values: list[str], scanner: Scanner, min_share: float
) -> ColumnClassification:
    values = [v for v in values if v.strip()]
    if not values:
        return ColumnClassification(table, column, None, 0.0, 0.0, 0)
    rows_with: Counter[str] = Counter()
    confidence_sum: dict[str, float] = {}
    # The column name is the key of every value: "sku" lowers, "phone" raises confidence.
    for findings in analyze_segments(scanner, [(column, value) for value in values]):
        best: dict[str, float] = {}
        for finding in findings:
            best[finding.type] = max(best.get(finding.type, 0.0), finding.confidence)
        for pii_type, confidence in best.items():
            rows_with[pii_type] += 1
            confidence_sum[pii_type] = confidence_sum.get(pii_type, 0.0) + confidence
    if not rows_with:
        return ColumnClassification(table, column, None, 0.0, 0.0, len(values))
    pii_type, count = rows_with.most_common(1)[0]
    share = count / len(values)
    confidence = round(share * confidence_sum[pii_type] / count, 3)
    if share < min_share:
        return ColumnClassification(table, column, None, round(share, 3), confidence, len(values))
    return ColumnClassification(table, column, pii_type, round(share, 3), confidence, len(values))
