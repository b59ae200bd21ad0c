"""One pass for everything that opens with a capital letter: IBANs, UK NINOs, Spanish NIEs,
Italian codici fiscali, Corsican NIRs and street names.

Capitals are rare in logs, so a pass that opens with an upper-case letter class is cheap; one
pass instead of six also scans the text once instead of six times. Each branch continues after
that first letter (lookbehinds check it where the branch needs a particular one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from privault.dlp.detectors.base import Hit
from privault.dlp.detectors.identity import (
    CODICE_FISCALE_PATTERN,
    CORSICA_NIR_PATTERN,
    IBAN_PATTERN,
    NIE_PATTERN,
    NINO_PATTERN,
    classify_codice_fiscale,
    classify_corsica_nir,
    classify_iban,
    classify_nie,
    classify_nino,
)

__all__ = ["CAPITALS_PATTERN", "CAPITALS_TYPES", "classify_capitals"]

_STREET_SUFFIXES: Final = (
    "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "ring", "damm", "ufer",
    "chaussee", "straat", "laan", "gracht", "plein", "kade", "steeg", "singel", "dijk",
    "Straße", "Weg", "Platz", "Allee", "Gasse", "Ring",
)  # fmt: skip
_STREET_WORDS: Final = (
    "Calle", "C/", "Avenida", "Avda.", "Plaza", "Paseo", "Camino", "Carrer", "Ronda",
    "Travesía", "Via", "Viale", "Piazza", "Corso", "Largo", "Vicolo", "Strada", "Contrada",
    "Borgo",
    "Rambla",
    "Glorieta",
    "Pasaje",
    "Pasadizo",
    "Alameda",
    "Carretera",
    "Cuesta",
    "Acceso",
    "Urbanización",
    "Vía",
    "C.",
)  # fmt: skip


def _ends_with_one_of(words: tuple[str, ...]) -> str:
    # Lookbehinds must have a fixed width, so each word gets its own.
    return "(?:" + "|".join(f"(?<={re.escape(word)})" for word in words) + ")"


def _rest_of_word(words: tuple[str, ...]) -> str:
    # After the first (capital) letter: each word's remaining letters as a literal, checked
    # first (cheap), then a lookbehind that the whole word, capital included, is there.
    return "(?:" + "|".join(f"{re.escape(w[1:])}(?<={re.escape(w)})" for w in words) + ")"


# German and Dutch: "Hauptstraße 12a", "Anna-Wulff-Weg 6", "Keizersgracht 123".
# The lookahead first turns away, cheaply, every word not followed by a house number.
STREET_NAME_PATTERN: Final = (
    r"(?=[A-Za-zäöüßÄÖÜ\-]{2,40}+\.? \d)[A-Za-zäöüßÄÖÜ\-]{2,40}+\.?"
    + _ends_with_one_of(_STREET_SUFFIXES)
    + r" \d{1,4}(?:[/\-]\d{1,4})?(?: ?[a-zA-Z](?![\w]))?(?![\w])"
)  # fmt: skip
# Spanish and Italian: "Calle Mayor 5", "Via Roma, 10".
STREET_WORD_PATTERN: Final = (
    _rest_of_word(_STREET_WORDS)
    + r" (?:(?:de la|del|de|dei|della|di) )?[A-ZÁÉÍÓÚ][\w'\-]+(?: [A-Z][\w'\-]+){0,3},? "
    r"(?:n\.? ?|nº ?)?\d{1,4}(?![\w])"
)  # fmt: skip

CAPITALS_PATTERN: Final = (
    r"[A-ZÄÖÜ](?:"
    rf"(?P<fr_insee>{CORSICA_NIR_PATTERN})"
    r"|(?<![\w\-].)(?:"
    rf"(?P<iban>{IBAN_PATTERN})"
    rf"|(?P<it_fiscal_code>{CODICE_FISCALE_PATTERN})"
    rf"|(?P<uk_nino>{NINO_PATTERN})"
    rf"|(?P<es_nie>{NIE_PATTERN})"
    rf"|(?P<street_word>{STREET_WORD_PATTERN})"
    rf"|(?P<street_name>{STREET_NAME_PATTERN})"
    r"))"
)
CAPITALS_TYPES: Final = ("iban", "it_fiscal_code", "uk_nino", "es_dni", "fr_insee", "address")


def _street(match: re.Match[str], text: str) -> Iterator[Hit]:
    yield Hit("address", match.start(), match.end(), 0.6, "heuristic")


_CLASSIFIERS: Final[dict[str, Callable[[re.Match[str], str], Iterator[Hit]]]] = {
    "fr_insee": classify_corsica_nir,
    "iban": classify_iban,
    "it_fiscal_code": classify_codice_fiscale,
    "uk_nino": classify_nino,
    "es_nie": classify_nie,
    "street_word": _street,
    "street_name": _street,
}


def classify_capitals(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Dispatch a match of the capitals pass to the detector whose branch matched."""
    name = match.lastgroup or ""
    for hit in _CLASSIFIERS[name](match, text):
        yield Hit(hit.type, hit.start, hit.end, hit.confidence, hit.validator, name)
