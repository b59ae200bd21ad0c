"""Digit runs: one maximal run is classified once, as a card, an id, a phone, or nothing.

Taking the whole run and deciding once is what keeps phone numbers out of IP addresses, social
security numbers, card numbers and longer digit runs: there is never a second look at a part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from privault.dlp.checksums import aba_valid, bsn_valid, insee_valid, steuer_id_valid
from privault.dlp.checksums import verhoeff_valid
from privault.dlp.context import KeyHint, key_hint
from privault.dlp.detectors.base import Hit
from privault.dlp.detectors.cards import CARD_GROUPINGS, card_brand, is_barcode
from privault.dlp.detectors.phones import phone_confidence

__all__ = ["NUMBER_PATTERN", "classify_number"]

# At least seven digits, single separators (space, dot, dash, slash) or parentheses between them,
# an optional leading + and an optional extension. Possessive: a run that is rejected is not
# retried from inside. Not preceded by a word, a path, an id prefix, a price or a time.
NUMBER_PATTERN: Final = (
    r"(?<![\w.+\-/#@$€£\\])(?<!\d:)"
    r"(?:\+|\(\+?)?\d(?:(?:[ .\-/]|\)[ .\-]?|[ .\-]?\()?\d){6,}+"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?+"
)
_SPLIT = re.compile(r"[^\d]+")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d{1,5}$")
_DATE = re.compile(r"(?:19|20)\d\d[-./ ][01]?\d[-./ ][0-3]?\d|[0-3]?\d[-./][01]?\d[-./](?:19|20)\d\d")
_SSN_BLOCKED: Final = frozenset({"078051120", "219099999", "123456789"})
_INSEE_GROUPS: Final = frozenset({(1, 2, 2, 2, 3, 3, 2), (13, 2), (15,)})


def _ssn_ok(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area != "000" and area != "666" and area[0] != "9" and group != "00"
        and serial != "0000" and digits not in _SSN_BLOCKED
    )  # fmt: skip


def _followed_by_word(text: str, end: int) -> bool:
    nxt = text[end : end + 2]
    if not nxt:
        return False
    first = nxt[0]
    if first.isalnum() or first in "_@":
        return True
    return first in ".-/:" and len(nxt) == 2 and nxt[1].isalnum()


def classify_number(
    match: re.Match[str], text: str, regions: tuple[str, ...]
) -> Iterator[Hit]:
    """Classify one digit run; yields at most one hit."""
    start, end = match.span()
    if _followed_by_word(text, end):
        return
    raw = match.group()
    extension = _EXTENSION.search(raw)
    core = raw[: extension.start()] if extension else raw
    groups_text = [g for g in _SPLIT.split(core) if g]
    digits = "".join(groups_text)
    groups = tuple(len(g) for g in groups_text)
    if _DATE.match(core) and not core.startswith(("+", "(")):
        return
    hint = key_hint(text, start)
    core_end = start + len(core)
    seps = set(_SPLIT.findall(core.strip("+(")))
    hit = _classify(raw, core, digits, groups, seps, hint, regions)
    if hit is not None:
        pii_type, confidence, validator = hit
        span_end = end if pii_type == "phone" else core_end
        yield Hit(pii_type, start, span_end, confidence, validator)


def _classify(
    raw: str,
    core: str,
    digits: str,
    groups: tuple[int, ...],
    seps: set[str],
    hint: KeyHint,
    regions: tuple[str, ...],
) -> tuple[str, float, str] | None:
    count = len(digits)
    grouped = len(groups) > 1
    one_sep = len(seps) == 1 and next(iter(seps)) in (" ", "-")
    plus = core.startswith(("+", "(+"))
    if not plus and 12 <= count <= 19 and (not grouped or (one_sep and groups in CARD_GROUPINGS)):
        if card_brand(digits) is not None:
            if not grouped and is_barcode(digits) and not hint.supports("card"):
                return None
            return "card", (0.95 if grouped else 0.9), "luhn"
        if grouped and groups in CARD_GROUPINGS and count >= 15:
            return None  # card-shaped but not a card: never a phone either
    if count == 9 and not plus:
        if groups == (3, 2, 4) and one_sep:
            return ("us_ssn", 0.85, "ssn-ranges") if _ssn_ok(digits) else None
        if not grouped:
            for pii_type, check, name in (
                ("us_ssn", _ssn_ok, "ssn-ranges"),
                ("nl_bsn", bsn_valid, "mod11"),
                ("bank_routing", aba_valid, "aba-checksum"),
            ):
                if hint.supports(pii_type) and check(digits):
                    return pii_type, 0.5, name
    if count == 12 and not plus and digits[0] not in "01" and groups in ((12,), (4, 4, 4)):
        if verhoeff_valid(digits):
            if groups == (4, 4, 4) and one_sep:
                return "in_aadhaar", 0.6, "verhoeff"
            if hint.supports("in_aadhaar"):
                return "in_aadhaar", 0.5, "verhoeff"
    if count == 15 and not plus and groups in _INSEE_GROUPS and insee_valid(digits):
        return "fr_insee", (0.85 if grouped else 0.6), "mod97"
    if count == 11 and not plus and hint.supports("de_tax_id") and steuer_id_valid(digits):
        return "de_tax_id", 0.5, "iso7064"
    if hint.supports("bank_account") and not plus and 6 <= count <= 17:
        return "bank_account", 0.5, "none"
    confidence = phone_confidence(raw, digits, groups, regions)
    if confidence > 0.0:
        return "phone", confidence, "phonenumbers"
    return None
