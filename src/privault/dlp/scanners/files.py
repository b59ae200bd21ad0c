"""``FileScanner``: texts, streams, files of any supported format, folders and standard input.

Text is read in blocks (about 1 MB of lines at a time), so memory stays flat however large the
file; JSON documents are the exception (a document is parsed whole).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Final

from privault.dlp.engine import Scanner
from privault.dlp.findings import LocatedFinding
from privault.dlp.redact import Redactor
from privault.dlp.scanners.formats import StructuredFormats
from privault.dlp.scanners.segments import Progress, ProgressCallback, located
from privault.errors import InvalidInput, NotFound

__all__ = ["FileScanner"]

_BLOCK: Final = 1 << 20
_PEM_CARRY_LIMIT: Final = 1 << 16
_SNIFF: Final = 8192
_CSV_SUFFIXES: Final = frozenset({".csv", ".tsv"})
_JSONL_SUFFIXES: Final = frozenset({".jsonl", ".ndjson"})


class FileScanner(StructuredFormats):
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
        progress = Progress(self.progress, total)
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
            yield located(
                path, line, finding.start - line_start + 1, None, finding, finding.value_in(block)
            )
        if out is not None:
            text = self.redactor.apply(block, findings) if self.redactor else block
            out.write(text.encode("utf-8", "surrogateescape"))
        return line + block.count("\n", position)

    def scan_text(self, text: str, *, path: str = "<text>") -> Iterator[LocatedFinding]:
        """Scan an in-memory text; findings carry line and column."""
        yield from self.scan_stream(io.BytesIO(text.encode("utf-8", "surrogateescape")), path=path)

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
        # The redacted copy is written beside its destination and moved into place only when
        # the whole file was scanned: a failure never leaves a half-redacted file behind.
        partial = out.with_name(out.name + ".partial") if out is not None else None
        done = False
        try:
            yield from self._scan_by_suffix(source, shown, partial)
            done = True
        except csv.Error as exc:
            raise InvalidInput("malformed CSV", code="dlp_bad_csv", path=shown) from exc
        finally:
            if partial is not None and out is not None and partial.exists():
                if done:
                    partial.replace(out)
                else:
                    partial.unlink()

    def _scan_by_suffix(
        self, source: Path, shown: str, out: Path | None
    ) -> Iterator[LocatedFinding]:
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
