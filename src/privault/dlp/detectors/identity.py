"""Alphanumeric identifiers: IBAN, UK NINO, Spanish DNI/NIE, Italian codice fiscale."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from privault.dlp.checksums import IBAN_LENGTHS, codice_fiscale_valid, dni_valid, iban_valid
from privault.dlp.checksums import nie_valid
from privault.dlp.context import key_hint
from privault.dlp.detectors.base import Hit

__all__ = ["CODICE_FISCALE_PATTERN", "DNI_PATTERN", "IBAN_PATTERN", "NINO_PATTERN"]

IBAN_PATTERN: Final = (
    r"(?<![\w\-/])[A-Z]{2}\d{2}"
    r"(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?|[A-Z0-9]{11,30})(?![A-Za-z0-9_\-])"
)


def classify_iban(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Take the country's IBAN length from the run (spaces allowed) and check mod 97."""
    raw = match.group()
    length = IBAN_LENGTHS.get(raw[:2])
    if length is None:
        return
    taken = 0
    end = match.start()
    for index, char in enumerate(raw):
        if char != " ":
            taken += 1
            if taken == length:
                end = match.start() + index + 1
                break
    else:
        return
    if end < len(text) and (text[end].isalnum() or text[end] in "_-"):
        return
    if iban_valid(text[match.start() : end].replace(" ", "")):
        yield Hit("iban", match.start(), end, 0.95, "mod97")


NINO_PATTERN: Final = (
    r"(?<![\w\-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"(?: ?\d{2}){3} ?[A-D](?![\w\-])"
)


def classify_nino(match: re.Match[str], text: str) -> Iterator[Hit]:
    """UK NINO: format and prefix rules only (it has no check digit)."""
    confidence = 0.9 if key_hint(text, match.start()).supports("uk_nino") else 0.7
    yield Hit("uk_nino", match.start(), match.end(), confidence, "format")


DNI_PATTERN: Final = r"(?<![\w\-])(?:\d{8}|[XYZ]-?\d{7})-?[A-Z](?![\w\-])"


def classify_dni(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Spanish DNI or NIE with its check letter (mod 23)."""
    value = match.group().replace("-", "")
    if dni_valid(value) or nie_valid(value):
        yield Hit("es_dni", match.start(), match.end(), 0.9, "check-letter")


CODICE_FISCALE_PATTERN: Final = (
    r"(?<![\w\-])[A-Z]{6}[\dLMNP-V]{2}[ABCDEHLMPRST][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z](?![\w\-])"
)


def classify_codice_fiscale(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Italian codice fiscale with its check character."""
    if codice_fiscale_valid(match.group()):
        yield Hit("it_fiscal_code", match.start(), match.end(), 0.95, "check-char")
