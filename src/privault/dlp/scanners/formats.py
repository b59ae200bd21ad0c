"""Structured formats: CSV/TSV cell by cell, JSON and JSON Lines value by value, Parquet by
column batch. Each writes its redacted copy in the same format: CSV stays CSV, JSON stays JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from privault.dlp.engine import Scanner
from privault.dlp.findings import Finding, LocatedFinding
from privault.dlp.redact import Redactor
from privault.dlp.scanners.segments import Progress, ProgressCallback, analyze_segments, located
from privault.errors import InvalidInput

__all__ = ["StructuredFormats"]

_MAX_JSON_BYTES: Final = 256 << 20
# csv's default field limit (128 KiB) refuses long free-text cells; this allows 16 MiB.
_MAX_CSV_FIELD: Final = 16 << 20


class StructuredFormats:
    """The structured-format readers of ``FileScanner`` (kept apart to keep each file short)."""

    scanner: Scanner
    redactor: Redactor | None
    progress: ProgressCallback | None
    block_size: int

    def scan_file_as_text(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan any file as plain text (implemented by ``FileScanner``)."""
        raise NotImplementedError

    # CSV ------------------------------------------------------------------------------------

    def scan_csv(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan a CSV/TSV file cell by cell (the header names give context); keep it CSV."""
        delimiter = "\t" if source.suffix.lower() == ".tsv" else ","
        progress = Progress(self.progress, source.stat().st_size)
        with (
            source.open(newline="", encoding="utf-8", errors="surrogateescape") as handle,
            _maybe_open(out, newline="") as sink,
        ):
            if csv.field_size_limit() < _MAX_CSV_FIELD:
                csv.field_size_limit(_MAX_CSV_FIELD)
            reader = csv.reader(handle, delimiter=delimiter)
            writer = csv.writer(sink, delimiter=delimiter) if sink is not None else None
            header = next(reader, None)
            if header is None:
                return
            yield from self._csv_header(header, path)
            if writer is not None:
                writer.writerow(
                    self._redact_cells(
                        header, analyze_segments(self.scanner, [(None, cell) for cell in header])
                    )
                )
            batch: list[list[str]] = []
            size = 0
            row_number = 1
            for row in reader:
                batch.append(row)
                size += sum(len(cell) for cell in row) + len(row)
                if size >= self.block_size // 4:
                    yield from self._csv_rows(batch, header, path, row_number, writer)
                    progress.advance(size)
                    row_number += len(batch)
                    batch, size = [], 0
            yield from self._csv_rows(batch, header, path, row_number, writer)
            progress.advance(size)

    def _csv_header(self, header: list[str], path: str) -> Iterator[LocatedFinding]:
        results = analyze_segments(self.scanner, [(None, cell) for cell in header])
        for index, (cell, found) in enumerate(zip(header, results, strict=True)):
            for finding in found:
                yield located(
                    path,
                    1,
                    finding.start + 1,
                    f"column {index + 1}",
                    finding,
                    finding.value_in(cell),
                )

    def _csv_rows(
        self,
        rows: list[list[str]],
        header: list[str],
        path: str,
        first: int,
        writer: Any,
    ) -> Iterator[LocatedFinding]:
        segments = [
            (header[i] if i < len(header) else None, cell)
            for row in rows
            for i, cell in enumerate(row)
        ]
        results = iter(analyze_segments(self.scanner, segments))
        for offset, row in enumerate(rows):
            found_row = [next(results) for _ in row]
            for index, (cell, found) in enumerate(zip(row, found_row, strict=True)):
                name = header[index] if index < len(header) else f"column {index + 1}"
                for finding in found:
                    yield located(
                        path,
                        first + offset + 1,
                        finding.start + 1,
                        name,
                        finding,
                        finding.value_in(cell),
                    )
            if writer is not None:
                writer.writerow(self._redact_cells(row, found_row))

    def _redact_cells(self, cells: list[str], found: list[list[Finding]]) -> list[str]:
        if self.redactor is None:
            return cells
        return [
            self.redactor.apply(cell, f) if f else cell
            for cell, f in zip(cells, found, strict=True)
        ]

    # JSON and JSON Lines -------------------------------------------------------------------

    def scan_json(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan every string and number in a JSON document; the redacted copy stays JSON."""
        size = source.stat().st_size
        if size > _MAX_JSON_BYTES:
            raise InvalidInput(
                "JSON document too large to parse whole; use JSON Lines",
                code="dlp_json_too_large",
                path=path,
            )
        try:
            document = json.loads(source.read_text(encoding="utf-8", errors="surrogateescape"))
        except json.JSONDecodeError:
            # Not valid JSON after all: scan it as text so nothing is skipped.
            yield from self.scan_file_as_text(source, path=path, out=out)
            return
        found: list[LocatedFinding] = []
        redacted = self._walk_json(document, path, None, found)
        Progress(self.progress, size).advance(size)
        yield from found
        if out is not None:
            with out.open("w", encoding="utf-8", errors="surrogateescape") as sink:
                json.dump(redacted, sink, ensure_ascii=False, indent=2)

    def scan_jsonl(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan a JSON Lines file record by record; a line that is not JSON is scanned as text."""
        progress = Progress(self.progress, source.stat().st_size)
        with source.open("rb") as handle, _maybe_open(out) as sink:
            for number, raw in enumerate(handle, start=1):
                progress.advance(len(raw))
                text = raw.decode("utf-8", "surrogateescape")
                stripped = text.strip()
                if not stripped:
                    if sink is not None:
                        sink.write(text)
                    continue
                try:
                    record = json.loads(stripped)
                except json.JSONDecodeError:
                    findings = self.scanner.analyze(text)
                    for finding in findings:
                        yield located(
                            path, number, finding.start + 1, None, finding, finding.value_in(text)
                        )
                    if sink is not None:
                        sink.write(self.redactor.apply(text, findings) if self.redactor else text)
                    continue
                found: list[LocatedFinding] = []
                redacted = self._walk_json(record, path, number, found)
                yield from found
                if sink is not None:
                    sink.write(json.dumps(redacted, ensure_ascii=False) + "\n")

    def _walk_json(
        self, document: object, path: str, line: int | None, found: list[LocatedFinding]
    ) -> object:
        # Collect every scalar with its JSON pointer, analyse them together, then rebuild.
        leaves: list[tuple[str, str | None, str]] = []  # (pointer, key, text)

        def collect(node: object, pointer: str, key: str | None) -> None:
            if isinstance(node, dict):
                for name, value in node.items():
                    leaves.append((pointer + "/" + _escape(name) + "#key", None, name))
                    collect(value, pointer + "/" + _escape(name), name)
            elif isinstance(node, list):
                for index, value in enumerate(node):
                    collect(value, f"{pointer}/{index}", key)
            elif isinstance(node, str) or (
                isinstance(node, int | float) and not isinstance(node, bool)
            ):
                leaves.append((pointer, key, str(node)))

        collect(document, "", None)
        results = analyze_segments(self.scanner, [(key, text) for _, key, text in leaves])
        replacements: dict[str, str] = {}
        for (pointer, _, text), findings in zip(leaves, results, strict=True):
            for finding in findings:
                field = pointer.removesuffix("#key") or "/"
                found.append(located(path, line, None, field, finding, finding.value_in(text)))
            if findings and self.redactor is not None:
                replacements[pointer] = self.redactor.apply(text, findings)
        if not replacements:
            return document
        return _rebuild(document, "", replacements)

    # Parquet -------------------------------------------------------------------------------

    def scan_parquet(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan string and integer columns of a Parquet file batch by batch (needs pyarrow).

        In the redacted copy the schema is kept: string cells are redacted in place and a
        numeric cell that holds personal data (a card stored as an integer) becomes null.
        """
        try:
            import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 - optional
            import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415
        except ImportError as exc:
            raise InvalidInput(
                "scanning Parquet needs pyarrow installed",
                code="dlp_parquet_unavailable",
                path=path,
            ) from exc
        parquet = pq.ParquetFile(source)
        progress = Progress(self.progress, parquet.metadata.num_rows)
        writer = pq.ParquetWriter(out, parquet.schema_arrow) if out is not None else None
        row_base = 0
        try:
            for batch in parquet.iter_batches(batch_size=4096):
                columns = []
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    kind = column.type
                    if not (
                        pa.types.is_string(kind)
                        or pa.types.is_large_string(kind)
                        or pa.types.is_integer(kind)
                    ):
                        columns.append(column)
                        continue
                    values = column.to_pylist()
                    segments = [(name, "" if v is None else str(v)) for v in values]
                    results = analyze_segments(self.scanner, segments)
                    for row, ((_, text), findings) in enumerate(
                        zip(segments, results, strict=True)
                    ):
                        for finding in findings:
                            yield located(
                                path,
                                row_base + row + 1,
                                finding.start + 1,
                                name,
                                finding,
                                finding.value_in(text),
                            )
                    if writer is not None and self.redactor is not None:
                        if pa.types.is_integer(kind):
                            values = [
                                None if f else v for v, f in zip(values, results, strict=True)
                            ]
                        else:
                            values = [
                                self.redactor.apply(t, f) if f else v
                                for v, (_, t), f in zip(values, segments, results, strict=True)
                            ]
                        columns.append(pa.array(values, type=kind))
                        continue
                    columns.append(column)
                if writer is not None:
                    writer.write_batch(pa.record_batch(columns, schema=batch.schema))
                row_base += batch.num_rows
                progress.advance(batch.num_rows)
        finally:
            if writer is not None:
                writer.close()


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _rebuild(node: object, pointer: str, replacements: dict[str, str]) -> object:
    if isinstance(node, dict):
        rebuilt: dict[str, object] = {}
        for name, value in node.items():
            child = pointer + "/" + _escape(str(name))
            key: str = replacements.get(child + "#key", str(name))
            while key in rebuilt:  # two keys redacted to the same text stay distinct
                key += "~"
            rebuilt[key] = _rebuild(value, child, replacements)
        return rebuilt
    if isinstance(node, list):
        return [
            _rebuild(value, f"{pointer}/{index}", replacements) for index, value in enumerate(node)
        ]
    return replacements.get(pointer, node)


class _NullContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _maybe_open(path: Path | None, **kwargs: Any) -> Any:
    if path is None:
        return _NullContext()
    return path.open("w", encoding="utf-8", errors="surrogateescape", **kwargs)
