"""Scanners for text, streams, files (plain/log, CSV, JSON, JSON Lines, Parquet) and trees."""

from __future__ import annotations

from privault.dlp.scanners.files import FileScanner
from privault.dlp.scanners.segments import ProgressCallback, analyze_segments

__all__ = ["FileScanner", "ProgressCallback", "analyze_segments"]
