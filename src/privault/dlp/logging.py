"""A ``logging.Filter`` that redacts personal data from a record before any handler writes it.

Attach it to the handlers (a filter on a logger does not see records from its children)::

    handler.addFilter(RedactingFilter())
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from privault.dlp.engine import DEFAULT_MIN_CONFIDENCE, Scanner
from privault.dlp.redact import Redactor

__all__ = ["RedactingFilter"]

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is redacted.
_STANDARD: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Redacts the message (after ``%`` formatting), exception text, stack and extra fields."""

    def __init__(
        self,
        *,
        scanner: Scanner | None = None,
        redactor: Redactor | None = None,
        types: Iterable[str] | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        super().__init__()
        self._scanner = scanner or Scanner(types=types, min_confidence=min_confidence)
        self._redactor = redactor or Redactor("label")

    def redact(self, text: str) -> str:
        """``text`` with every finding replaced."""
        findings = self._scanner.analyze(text)
        return self._redactor.apply(text, findings) if findings else text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not leak its arguments either
            message = f"{record.msg!s} (unformattable arguments withheld)"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, so that the handler uses the redacted cached text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True
