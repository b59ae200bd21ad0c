"""Reading import files: CSV and JSON Lines rows with their line numbers, the format from the
file name, the byte count for progress, and how many worker processes an input deserves."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from privault.errors import InvalidInput

__all__ = ["CountingReader", "auto_jobs", "csv_rows", "detect_format", "jsonl_rows"]

MAX_LINE_BYTES = 1 << 20


class CountingReader(io.RawIOBase):
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


PARALLEL_FROM_BYTES = 2 << 20


def auto_jobs(size: int | None) -> int:
    """Worker processes for an import of ``size`` bytes: one per core (at most 4) for inputs
    of 2 MB and more or of unknown size, else none (starting workers costs about a second)."""
    if size is not None and size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


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


def csv_rows(
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


def jsonl_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | str]]:
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
