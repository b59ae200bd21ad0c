"""Alphanumeric identifiers: IBAN, UK NINO, Spanish NIE, Italian codice fiscale, Corsican NIR.

The patterns here are the tails after the first, upper-case letter: ``capitals.py`` joins them
into one pass that opens with an upper-case letter class (rare in logs), so it is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from privault.common.checksums import (
    IBAN_LENGTHS,
    codice_fiscale_valid,
    iban_valid,
    insee_valid,
    nie_valid,
)
from privault.dlp.context import key_hint
from privault.dlp.detectors.base import Hit

__all__ = [
    "CODICE_FISCALE_PATTERN",
    "CORSICA_NIR_PATTERN",
    "IBAN_PATTERN",
    "NIE_PATTERN",
    "NINO_PATTERN",
    "classify_codice_fiscale",
    "classify_corsica_nir",
    "classify_iban",
    "classify_nie",
    "classify_nino",
]

IBAN_PATTERN: Final = (
    r"(?<![/].)(?<=[A-Z])[A-Z]\d{2}"
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


NINO_PATTERN: Final = r"(?<=[A-CEGHJ-PR-TW-Z])[A-CEGHJ-NPR-TW-Z](?: ?\d{2}){3} ?[A-D](?![\w\-])"
_NINO_NOT_ISSUED: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def classify_nino(match: re.Match[str], text: str) -> Iterator[Hit]:
    """UK NINO: format and prefix rules only (it has no check digit)."""
    if match.group()[:2] in _NINO_NOT_ISSUED:
        return
    confidence = 0.9 if key_hint(text, match.start()).supports("uk_nino") else 0.7
    yield Hit("uk_nino", match.start(), match.end(), confidence, "format")


# DNIs (eight digits and a letter) are matched by the digits pass; this is the NIE form.
NIE_PATTERN: Final = r"(?<=[XYZ])-?\d{7}-?[A-Z](?![\w\-])"


def classify_nie(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Spanish NIE with its check letter (mod 23)."""
    if nie_valid(match.group().replace("-", "")):
        yield Hit("es_dni", match.start(), match.end(), 0.9, "check-letter")


CODICE_FISCALE_PATTERN: Final = (
    r"(?<=[A-Z])[A-Z]{5}[\dLMNP-V]{2}[ABCDEHLMPRST][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z]"
    r"(?![\w\-])"
)


def classify_codice_fiscale(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Italian codice fiscale with its check character."""
    if codice_fiscale_valid(match.group()):
        yield Hit("it_fiscal_code", match.start(), match.end(), 0.95, "check-char")


# Numbers born in Corsica carry 2A/2B as their department; all-digit NIRs are digit runs.
# Anchored on the A/B (rare upper-case letters), the digits before it checked by lookbehind.
CORSICA_NIR_PATTERN: Final = (
    r"(?:(?<=[1278]\d{4}2[AB])|(?<=[1278] \d\d \d\d 2[AB]))(?: ?\d{3}){2} ?\d{2}(?![\w\-])"
)


def classify_corsica_nir(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A French NIR with a Corsican department code and a valid key."""
    start = match.start() - (9 if text[match.start() - 2] == " " else 6)
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-"):
        return
    if insee_valid(text[start : match.end()].replace(" ", "")):
        yield Hit("fr_insee", start, match.end(), 0.85, "mod97")
