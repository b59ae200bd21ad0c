"""Bulk import of CSV and JSON Lines into a collection, streamed in batches.

Memory stays constant: rows are read, validated and written one batch at a time, each batch in
its own transaction, so a process killed mid-import leaves whole batches or nothing of a batch.
A bad row is reported with its line number and the rule it broke (never its value); the good
rows land.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from privault.errors import InvalidInput, PrivaultError
from privault.vault.rules import check_subject_id
from privault.vault.schemas import RecordCreate
from privault.vault.service import RecordService

SessionScope = Callable[[], contextlib.AbstractContextManager[Session]]
MAX_REPORTED_ERRORS = 1000
MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: its line number and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """The outcome of an import."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_failed: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def fail(self, line: int, reason: str) -> None:
        """Count a bad row, keeping the first MAX_REPORTED_ERRORS reasons."""
        self.rows_failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, reason))


class _CountingReader(io.RawIOBase):
    """Counts bytes read from a binary stream, for the progress bar."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        if self._on_read is not None and size:
            self._on_read(size)
        return size


def detect_format(path: Path) -> str:
    """``csv`` or ``jsonl`` from the file name."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    raise InvalidInput(
        f"cannot tell the format of '{path.name}'; pass --format csv or --format jsonl",
        code="unknown_format",
    )


def _csv_rows(
    text: IO[str], *, allowed: set[str], subject_column: str
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(text, restkey="\x00extra", strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise InvalidInput(f"line 1: malformed CSV header ({exc})", code="bad_header") from None
    if not header:
        raise InvalidInput("the file is empty: no CSV header", code="empty_file")
    if subject_column not in header:
        raise InvalidInput(
            f"line 1: no column '{subject_column}' (the --subject-column)", code="bad_header"
        )
    unknown = [name for name in header if name not in allowed and name != subject_column]
    if unknown:
        raise InvalidInput(
            f"line 1: unknown column(s) {', '.join(repr(n) for n in unknown)}; the collection "
            f"declares {', '.join(sorted(allowed))}",
            code="unknown_column",
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"malformed CSV ({exc})"
            continue
        if "\x00extra" in row or None in row.values():
            yield reader.line_num, "wrong number of columns"
            continue
        yield reader.line_num, row


def _jsonl_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(binary, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            yield number, f"line longer than {MAX_LINE_BYTES} bytes"
            continue
        try:
            row = json.loads(line)
        except ValueError:
            yield number, "not valid JSON"
            continue
        if not isinstance(row, dict):
            yield number, "not a JSON object"
            continue
        yield number, row


def import_stream(
    binary: IO[bytes],
    *,
    fmt: str,
    collection: str,
    subject_column: str,
    records: RecordService,
    sessions: SessionScope,
    region: str | None = None,
    batch_size: int = 1000,
    dry_run: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import rows from a binary stream into ``collection``; see the module docstring."""
    if fmt not in {"csv", "jsonl"}:
        raise InvalidInput(f"unknown format '{fmt}'; use csv or jsonl", code="unknown_format")
    fields = records.datamap.collections.get(collection)
    if fields is None:
        raise InvalidInput(
            f"collection '{collection}' is not in the data map", code="unknown_collection"
        )
    allowed = set(fields.fields)
    if region is not None:
        records.datamap.region_or_default(region)
    report = ImportReport(dry_run=dry_run)
    counted = io.BufferedReader(_CountingReader(binary, on_bytes), buffer_size=1 << 16)
    rows: Iterator[tuple[int, dict[str, Any] | str]]
    if fmt == "csv":
        text = io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
        rows = _csv_rows(text, allowed=allowed, subject_column=subject_column)
    else:
        rows = _jsonl_rows(counted)
    batch: list[RecordCreate] = []
    batch_lines: list[int] = []

    def flush() -> None:
        if not batch:
            return
        if not dry_run:
            with sessions() as db_session:
                records.put_many(db_session=db_session, records=batch, validated=True)
        report.rows_imported += len(batch)
        batch.clear()
        batch_lines.clear()

    try:
        for line, row in rows:
            report.rows_read += 1
            if isinstance(row, str):
                report.fail(line, row)
                continue
            subject = row.pop(subject_column, None)
            try:
                check_subject_id(subject)
            except ValueError as exc:
                report.fail(line, f"column '{subject_column}': {exc}")
                continue
            values = {k: v for k, v in row.items() if v not in ("", None)}
            try:
                clean = records.validate(collection=collection, values=values)
            except PrivaultError as exc:
                report.fail(line, exc.message)
                continue
            batch.append(RecordCreate(collection, str(subject), clean, region))
            batch_lines.append(line)
            if len(batch) >= batch_size:
                flush()
        flush()
    except UnicodeDecodeError:
        raise InvalidInput(
            f"the file is not UTF-8 text (after row {report.rows_read})", code="bad_encoding"
        ) from None
    return report


def import_file(path: Path, **kwargs: Any) -> ImportReport:
    """Import a file; ``fmt`` defaults to what the file name says."""
    fmt = kwargs.pop("fmt", None) or detect_format(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read '{path}': {exc.strerror}", code="unreadable") from None
    with handle:
        return import_stream(handle, fmt=fmt, **kwargs)
