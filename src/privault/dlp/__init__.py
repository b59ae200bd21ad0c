"""Leak prevention: find and redact customer personal data and secrets in text, logs, files,
tables and outbound traffic.

    >>> from privault.dlp import analyze, redact
    >>> text = "card=4111 1111 1111 1111 mail jo@example.com"
    >>> [f.type for f in analyze(text)]
    ['card', 'email']
    >>> redact(text, analyze(text), mode="label")
    'card=[CARD] mail [EMAIL]'
"""

from __future__ import annotations

import typing

from privault.dlp.detectors import (
    Detector,
    Hit,
    NameRecognizer,
    load_name_recognizer,
    make_detector,
    register_detector,
    unregister_detector,
)
from privault.dlp.engine import DEFAULT_MIN_CONFIDENCE, Scanner, analyze
from privault.dlp.findings import PII_TYPES, Finding, LocatedFinding, mask_value
from privault.dlp.redact import RedactMode, Redactor, Tokenizer, redact
from privault.dlp.scanners import FileScanner

if typing.TYPE_CHECKING:
    from privault.dlp.columns import ColumnClassification, classify_columns

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "PII_TYPES",
    "ColumnClassification",
    "Detector",
    "FileScanner",
    "Finding",
    "Hit",
    "LocatedFinding",
    "NameRecognizer",
    "RedactMode",
    "Redactor",
    "Scanner",
    "Tokenizer",
    "analyze",
    "classify_columns",
    "load_name_recognizer",
    "make_detector",
    "mask_value",
    "redact",
    "register_detector",
    "unregister_detector",
]


def __getattr__(name: str) -> typing.Any:
    # Column classification needs SQLAlchemy, which costs a quarter second to import: load it
    # only when asked for, so that `import privault.dlp` stays fast for logs and middleware.
    if name in ("ColumnClassification", "classify_columns"):
        from privault.dlp import columns  # noqa: PLC0415

        return getattr(columns, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
