"""Shared pieces of the scanners: many short values in one pass, locations, progress."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from privault.dlp.engine import Scanner
from privault.dlp.findings import Finding, LocatedFinding, mask_value

__all__ = ["Progress", "ProgressCallback", "analyze_segments", "located"]

ProgressCallback = Callable[[int, int | None], None]
"""``progress(done, total)``: bytes (or rows) read so far and the total when known."""


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


def located(  # noqa: PLR0917 - the arguments mirror LocatedFinding's fields in order
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
class Progress:
    """Counts work done and reports it to an optional callback."""

    callback: ProgressCallback | None
    total: int | None
    done: int = 0

    def advance(self, count: int) -> None:
        """Add ``count`` and tell the callback."""
        self.done += count
        if self.callback is not None:
            self.callback(self.done, self.total)
