"""Scanners for text, streams, files (plain/log, CSV, JSON, JSON Lines, Parquet) and trees.

Files are read in blocks (about 1 MB of lines at a time), so memory stays flat however large
the file; JSON documents are the exception (a document is parsed whole). With a ``Redactor``
each scanner also writes a redacted copy in the same format: CSV stays CSV, JSON stays JSON.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from privault.dlp.engine import Scanner
from privault.dlp.findings import Finding, LocatedFinding, mask_value
from privault.dlp.redact import Redactor
from privault.errors import InvalidInput, NotFound

__all__ = ["FileScanner", "ProgressCallback", "analyze_segments"]

ProgressCallback = Callable[[int, int | None], None]
"""``progress(done, total)``: bytes read so far and the total when known."""

_BLOCK: Final = 1 << 20
_PEM_CARRY_LIMIT: Final = 1 << 16
_SNIFF: Final = 8192
_CSV_SUFFIXES: Final = frozenset({".csv", ".tsv"})
_JSONL_SUFFIXES: Final = frozenset({".jsonl", ".ndjson"})
_MAX_JSON_BYTES: Final = 256 << 20


def analyze_segments(
    scanner: Scanner, segments: Sequence[tuple[str | None, str]]
) -> list[list[Finding]]:
    """Analyse many short values in one pass; each is ``(key, value)``, the key giving context.

    The values are joined as ``key: value`` lines, so a column or field name acts like the key
    in ``card=...``; findings come back per segment with offsets into that segment's value.
    """
    parts: list[str] = []
    offsets: list[int] = []
    position = 0
    for key, value in segments:
        prefix = f"{key}: " if key else ""
        parts += (prefix, value, "\n")
        offsets.append(position + len(prefix))
        position += len(prefix) + len(value) + 1
    results: list[list[Finding]] = [[] for _ in segments]
    for finding in scanner.analyze("".join(parts)):
        index = bisect.bisect_right(offsets, finding.start) - 1
        if index < 0:
            continue
        base = offsets[index]
        if finding.end > base + len(segments[index][1]):
            continue  # reaches into the next line: not a finding in this value
        results[index].append(
            Finding(
                finding.type,
                finding.start - base,
                finding.end - base,
                finding.confidence,
                finding.validator,
                finding.detector,
            )
        )
    return results


def _located(  # noqa: PLR0917 - the arguments mirror LocatedFinding's fields in order
    path: str, line: int | None, column: int | None, field: str | None, finding: Finding, value: str
) -> LocatedFinding:
    return LocatedFinding(
        path,
        line,
        column,
        field,
        finding.type,
        finding.confidence,
        finding.validator,
        finding.detector,
        mask_value(value, finding.type),
        finding.end - finding.start,
    )


@dataclass
class _Progress:
    callback: ProgressCallback | None
    total: int | None
    done: int = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.callback is not None:
            self.callback(self.done, self.total)


class FileScanner:
    """Scans texts, streams, files and directory trees; optionally writes redacted copies."""

    def __init__(
        self,
        scanner: Scanner,
        *,
        redactor: Redactor | None = None,
        progress: ProgressCallback | None = None,
        block_size: int = _BLOCK,
    ) -> None:
        self.scanner = scanner
        self.redactor = redactor
        self.progress = progress
        self.block_size = block_size

    # Plain text and logs -------------------------------------------------------------------

    def scan_stream(
        self,
        stream: IO[bytes],
        *,
        path: str,
        out: IO[bytes] | None = None,
        total: int | None = None,
    ) -> Iterator[LocatedFinding]:
        """Scan a byte stream of text line by line in blocks; write the redacted text to ``out``."""
        progress = _Progress(self.progress, total)
        pending: list[str] = []
        size = 0
        line = 1
        for raw in stream:
            progress.advance(len(raw))
            pending.append(raw.decode("utf-8", "surrogateescape"))
            size += len(pending[-1])
            if size >= self.block_size:
                block = "".join(pending)
                carry = _pem_carry(block)
                line = yield from self._text_block(block[:carry], path, line, out)
                pending, size = [block[carry:]], len(block) - carry
        line = yield from self._text_block("".join(pending), path, line, out)

    def _text_block(
        self, block: str, path: str, line: int, out: IO[bytes] | None
    ) -> Generator[LocatedFinding, None, int]:
        findings = self.scanner.analyze(block) if block else []
        position = 0
        line_start = 0
        for finding in findings:
            newlines = block.count("\n", position, finding.start)
            if newlines:
                line += newlines
                line_start = block.rfind("\n", 0, finding.start) + 1
            position = finding.start
            yield _located(
                path, line, finding.start - line_start + 1, None, finding, finding.value_in(block)
            )
        if out is not None:
            text = self.redactor.apply(block, findings) if self.redactor else block
            out.write(text.encode("utf-8", "surrogateescape"))
        return line + block.count("\n", position)

    def scan_text(self, text: str, *, path: str = "<text>") -> Iterator[LocatedFinding]:
        """Scan an in-memory text; findings carry line and column."""
        yield from self.scan_stream(io.BytesIO(text.encode("utf-8", "surrogateescape")), path=path)

    # CSV ------------------------------------------------------------------------------------

    def scan_csv(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan a CSV/TSV file cell by cell (the header names give context); keep it CSV."""
        delimiter = "\t" if source.suffix.lower() == ".tsv" else ","
        progress = _Progress(self.progress, source.stat().st_size)
        with (
            source.open(newline="", encoding="utf-8", errors="surrogateescape") as handle,
            _maybe_open(out, newline="") as sink,
        ):
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
                yield _located(
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
                    yield _located(
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
        _Progress(self.progress, size).advance(size)
        yield from found
        if out is not None:
            with out.open("w", encoding="utf-8", errors="surrogateescape") as sink:
                json.dump(redacted, sink, ensure_ascii=False, indent=2)

    def scan_jsonl(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan a JSON Lines file record by record; a line that is not JSON is scanned as text."""
        progress = _Progress(self.progress, source.stat().st_size)
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
                        yield _located(
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
                found.append(_located(path, line, None, field, finding, finding.value_in(text)))
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
        progress = _Progress(self.progress, parquet.metadata.num_rows)
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
                            yield _located(
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

    # Files and trees -----------------------------------------------------------------------

    def scan_file_as_text(
        self, source: Path, *, path: str, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan any file as plain text (logs, text, unknown formats)."""
        with source.open("rb") as handle:
            if out is None:
                yield from self.scan_stream(handle, path=path, total=source.stat().st_size)
                return
            with out.open("wb") as sink:
                yield from self.scan_stream(
                    handle, path=path, out=sink, total=source.stat().st_size
                )

    def scan_file(
        self, source: Path, *, path: str | None = None, out: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan one file, choosing the reader by its suffix; write a redacted copy to ``out``."""
        if not source.is_file():
            raise NotFound("no such file", code="dlp_no_file", path=str(source))
        shown = path or str(source)
        if out is not None:
            if out.resolve() == source.resolve():
                raise InvalidInput(
                    "the redacted copy would overwrite its source",
                    code="dlp_same_output",
                    path=shown,
                )
            out.parent.mkdir(parents=True, exist_ok=True)
        suffix = source.suffix.lower()
        if suffix in _CSV_SUFFIXES:
            yield from self.scan_csv(source, path=shown, out=out)
        elif suffix == ".json":
            yield from self.scan_json(source, path=shown, out=out)
        elif suffix in _JSONL_SUFFIXES:
            yield from self.scan_jsonl(source, path=shown, out=out)
        elif suffix == ".parquet":
            yield from self.scan_parquet(source, path=shown, out=out)
        elif _is_binary(source):
            return
        else:
            yield from self.scan_file_as_text(source, path=shown, out=out)

    def scan_tree(
        self, root: Path, *, out_dir: Path | None = None, skip: Path | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan every file under ``root`` (hidden folders, binary files and ``skip`` left out)."""
        avoid = skip or out_dir
        excluded = avoid.resolve() if avoid is not None else None
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and (excluded is None or Path(folder, d).resolve() != excluded)
            )
            for name in sorted(files):
                source = Path(folder, name)
                if source.is_symlink() or not source.is_file():
                    continue
                relative = source.relative_to(root)
                out = out_dir / relative if out_dir is not None else None
                yield from self.scan_file(source, path=relative.as_posix(), out=out)

    def scan_paths(
        self, paths: Iterable[str], *, out_dir: Path | None = None, stdin: IO[bytes] | None = None
    ) -> Iterator[LocatedFinding]:
        """Scan files, folders and ``-`` (standard input); redacted copies go under ``out_dir``."""
        for name in paths:
            if name == "-":
                if stdin is None:
                    raise InvalidInput("no standard input to read", code="dlp_no_stdin")
                if out_dir is None:
                    yield from self.scan_stream(stdin, path="<stdin>")
                    continue
                out_dir.mkdir(parents=True, exist_ok=True)
                with (out_dir / "stdin.txt").open("wb") as sink:
                    yield from self.scan_stream(stdin, path="<stdin>", out=sink)
                continue
            source = Path(name)
            if source.is_dir():
                target = out_dir / source.resolve().name if out_dir is not None else None
                yield from self.scan_tree(source, out_dir=target, skip=out_dir)
            elif source.is_file():
                target = out_dir / source.name if out_dir is not None else None
                yield from self.scan_file(source, path=name, out=target)
            else:
                raise NotFound("no such file or folder", code="dlp_no_path", path=name)


def _pem_carry(block: str) -> int:
    """Where to cut a block so that a private key cut off at its end moves to the next block."""
    begin = block.rfind("-----BEGIN ")
    if begin < 0 or block.rfind("-----END ") > begin or len(block) - begin > _PEM_CARRY_LIMIT:
        return len(block)
    return block.rfind("\n", 0, begin) + 1


def _is_binary(source: Path) -> bool:
    with source.open("rb") as handle:
        return b"\0" in handle.read(_SNIFF)


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
