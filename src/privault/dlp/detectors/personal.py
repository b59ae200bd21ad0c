"""Personal data that needs its context: card security codes, dates of birth, postal addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Final

from privault.dlp.detectors.base import Hit

__all__ = [
    "ADDRESS_TAIL_PATTERN",
    "CVV_PATTERN",
    "DOB_PATTERN",
]

# The keyword patterns run over the lower-cased text (see ``Detector.lowercase``): a plain
# alternation of literals lets the regex engine skip ahead, where IGNORECASE would not.
CVV_PATTERN: Final = (
    r"(?:cvv2?|cvc2?|csc|card[ _\-]?security[ _\-]?code|security[ _\-]?code|kartenprüfnummer|"
    r"cryptogramme)(?![\w])"
    r"""["']?\s{0,3}(?:[:=]|=>|is)?\s{0,3}["']?(?P<cvv>\d{3,4})(?![\w])"""
)


def _at_word_start(text: str, index: int) -> bool:
    return index == 0 or not text[index - 1].isalnum()


def classify_cvv(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Three or four digits right after a CVV/CVC/CSC keyword."""
    if not _at_word_start(text, match.start()):
        return
    yield Hit("cvv", match.start("cvv"), match.end("cvv"), 0.9, "context")


_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "januar", "janvier", "enero", "gennaio"),
            ("feb", "february", "februar", "février", "fevrier", "febrero", "febbraio"),
            ("mar", "march", "märz", "marz", "mars", "marzo"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("jun", "june", "juni", "juin", "junio", "giugno"),
            ("jul", "july", "juli", "juillet", "julio", "luglio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "oktober", "octobre", "octubre", "ottobre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dezember", "décembre", "decembre", "diciembre", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
DOB_PATTERN: Final = (
    r"(?:dob|d\.o\.b\.?|date[ _\-]?of[ _\-]?birth|birth[ _\-]?date|birthday|"
    r"born(?: on)?|geburtsdatum|geboren(?: am)?|geb\.|date de naissance|née? le|"
    r"fecha de nacimiento|data di nascita|nato il|nata il|geboortedatum)(?![\w])"
    r"""["']?\s{0,3}(?:[:=]|=>)?\s{0,3}["']?(?P<dob>"""
    r"(?P<iso>\d{4})-(?P<im>\d\d)-(?P<id>\d\d)"
    r"|(?P<a>\d{1,2})[./\-](?P<b>\d{1,2})[./\-](?P<y>\d{4}|\d{2})"
    r"|(?P<d1>\d{1,2})\.? (?P<m1>[^\W\d]{3,10})\.? (?P<y1>\d{4})"
    r"|(?P<m2>[^\W\d]{3,10})\.? (?P<d2>\d{1,2}),? (?P<y2>\d{4}))(?![\w])"
)


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def classify_dob(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A real calendar date, not in the future, right after a date-of-birth keyword."""
    if not _at_word_start(text, match.start()):
        return
    g = match.groupdict()
    candidates: list[tuple[int, int, int]] = []
    if g["iso"]:
        candidates.append((int(g["iso"]), int(g["im"]), int(g["id"])))
    elif g["a"]:
        year = int(g["y"])
        if len(g["y"]) == 2:
            year += 1900 if year > date.today().year % 100 else 2000
        first, second = int(g["a"]), int(g["b"])
        candidates += [(year, second, first), (year, first, second)]
    elif g["d1"]:
        month = _MONTHS.get(g["m1"].lower().rstrip("."))
        if month:
            candidates.append((int(g["y1"]), month, int(g["d1"])))
    else:
        month = _MONTHS.get(g["m2"].lower().rstrip("."))
        if month:
            candidates.append((int(g["y2"]), month, int(g["d2"])))
    if any(_valid_birth(*candidate) for candidate in candidates):
        yield Hit("date_of_birth", match.start("dob"), match.end("dob"), 0.85, "date")


_STREET_EN: Final = (
    # Street suffixes after the US Postal Service list and British usage; plurals allowed below.
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Parkway|Pkwy|Circle|Cir|Square|Sq|Highway|Hwy|Crescent|Close|Gardens?|Grove|Row|"
    r"Trail|Walk|Mews|Hill|Park|Ridge|Loop|Pike|Point|Ville|View|Burg|Crossing|Crossroad|Estate|"
    r"Field|Flat|Fork|Junction|Lake|Manor|Meadow|Mill|Plain|Port|Spring|Stravenue|Summit|Tunnel|"
    r"Turnpike|Union|Valley|Village|Well|Heights|Island|Isle|Ranch|Run|Shoal|Shore|Spur|Station|"
    r"Stream|Track|Creek|Cove|Curve|Dale|Dam|Divide|Expressway|Extension|Fall|Ferry|Ford|Forest|"
    r"Forge|Fort|Freeway|Gateway|Glen|Green|Harbor|Haven|Hollow|Inlet|Key|Knoll|Landing|Light|"
    r"Lock|Lodge|Mall|Mission|Motorway|Mount|Mountain|Neck|Orchard|Oval|Pass|Passage|Path|Pine|"
    r"Plaza|Prairie|Radial|Ramp|Rapid|Rest|Route|Skyway|Trafficway|Throughway|Underpass|Via|"
    r"Vista|Alley|Arcade|Bayou|Beach|Bend|Bluff|Bottom|Branch|Bridge|Brook|Bypass|Camp|Canyon|"
    r"Cape|Causeway|Center|Centre|Cliff|Club|Common|Corner|Course|Overpass|Parade|Wall|Wharf"
)
# The tail after the house number; the digits pass (``numbers.py``) matches the number itself.
ADDRESS_TAIL_PATTERN: Final = (
    # The lookahead turns away at once the many numbers not followed by a word.
    r"(?=[A-Za-z]?,? [A-Za-zÉÈ]|(?: ?(?:bis|ter)),? [a-z])(?:"
    # English: "221B Baker Street", "1600 Pennsylvania Ave NW, Apt 4".
    r"[A-Za-z]?,? (?:[A-Z][a-z]+\.? ){1,4}(?:" + _STREET_EN + r")s?\b\.?"
    r"(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,? (?:Apt\.?|Suite|Unit|#) ?\d+[A-Za-z]?)?"
    # French: "12 rue de la Paix", "7 bis, avenue Foch".
    r"|(?: ?(?:bis|ter))?,? (?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|route|"
    r"cours) (?:(?:de la|de l'|du|des|de|d') ?)?[A-ZÉÈ][\w'\-]+(?: [A-Z][\w'\-]+){0,3})"
)
