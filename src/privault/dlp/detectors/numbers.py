"""Digit runs: one maximal run is classified once, as a card, an id, a phone, or nothing.

Taking the whole run and deciding once is what keeps phone numbers out of IP addresses, social
security numbers, card numbers and longer digit runs: there is never a second look at a part.
IPv4 addresses, Spanish DNIs and numbered street lines also start with a digit, so they share
this one pass over the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from privault.common.checksums import (
    aba_valid,
    bsn_valid,
    dni_valid,
    insee_valid,
    steuer_id_valid,
    verhoeff_valid,
)
from privault.dlp.context import KeyHint, key_hint
from privault.dlp.detectors.base import Hit
from privault.dlp.detectors.cards import CARD_GROUPINGS, card_brand, is_barcode
from privault.dlp.detectors.network import classify_ipv4
from privault.dlp.detectors.personal import ADDRESS_TAIL_PATTERN
from privault.dlp.detectors.phones import phone_confidence

__all__ = ["DIGITS_PATTERN", "NUMBER_TYPES", "classify_digits"]

NUMBER_TYPES: Final = (
    "card",
    "phone",
    "us_ssn",
    "nl_bsn",
    "bank_routing",
    "bank_account",
    "in_aadhaar",
    "fr_insee",
    "de_tax_id",
    "ip_address",
    "es_dni",
    "address",
)

# The pass opens with a character class so that the regex engine skips to candidate characters
# instead of trying every position; lookbehinds then check the character before it.
DIGITS_PATTERN: Final = (
    r"[\d+(](?<![\w.\-].)(?:"
    r"(?P<ipv4>(?<=\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\.?\d|\.[A-Za-z]))"
    r"|(?P<dni>(?<=\d)\d{7}-?[A-Z](?![\w\-]))"
    # At least seven digits, single separators (space, dot, dash, slash) or parentheses between
    # them, an optional leading + and extension. Possessive: a rejected run is not retried from
    # inside. Not after an id prefix, a price or a time; not an ISO date. After a "/" (a URL
    # path segment) only a card is taken: ids in paths look like everything else.
    r"|(?<![+#@$€£\\].)(?<!\d:.)(?P<number>"
    r"(?:(?<=\d)(?!\d{3}[-/.]\d\d[-/.]\d\d)|(?<=\+)\d|(?<=\()\+?\d)"
    r"(?:(?:[ .\-/]|\)[ .\-]?|[ .\-]?\()?\d){6,}+(?: ?(?:x|ext\.?) ?\d{1,5})?+)"
    r"|(?<![/].)(?P<address>(?<=\d)\d{0,4}" + ADDRESS_TAIL_PATTERN + r")"
    r")"
)
_SPLIT = re.compile(r"\D+")
_NON_DIGIT = re.compile(r"\D")
_EXTENSION = re.compile(r" ?(?:x|ext\.?) ?\d{1,5}$")
_DATE = re.compile(
    r"(?:19|20)\d\d[-./ ][01]?\d[-./ ][0-3]?\d|[0-3]?\d[-./][01]?\d[-./](?:19|20)\d\d"
)
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}$")
_SSN_BLOCKED: Final = frozenset({"078051120", "219099999", "123456789"})
_INSEE_GROUPS: Final = frozenset({(1, 2, 2, 2, 3, 3, 2), (13, 2), (15,)})
_NATIONAL_BARE: Final = (
    ("us_ssn", "ssn-ranges"),
    ("nl_bsn", "mod11"),
    ("bank_routing", "aba-checksum"),
)


def _ssn_ok(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area not in ("000", "666")
        and area[0] != "9"
        and group != "00"
        and serial != "0000"
        and digits not in _SSN_BLOCKED
    )


_CHECKS = {"us_ssn": _ssn_ok, "nl_bsn": bsn_valid, "bank_routing": aba_valid}


_ACCOUNT_WORDS: Final = ("acc", "acct", "konto", "rekening")


def _account_word_near(text: str, start: int) -> bool:
    # A cheap look before the full key hint, which most short runs never need.
    window = text[max(0, start - 32) : start].lower()
    return any(word in window for word in _ACCOUNT_WORDS)


def _followed_by_word(text: str, end: int) -> bool:
    nxt = text[end : end + 2]
    if not nxt:
        return False
    first = nxt[0]
    if first.isalnum() or first in "_@":
        return True
    return first in ".-/:" and len(nxt) == 2 and nxt[1].isalnum()


def classify_digits(match: re.Match[str], text: str, regions: tuple[str, ...]) -> Iterator[Hit]:
    """Classify one match of the digits pass; yields at most one hit."""
    kind = match.lastgroup
    if kind == "number":
        yield from _classify_number(match, text, regions)
    elif kind == "ipv4":
        for hit in classify_ipv4(match, text):
            yield Hit(hit.type, hit.start, hit.end, hit.confidence, hit.validator, "ipv4")
    elif kind == "dni":
        if dni_valid(match.group().replace("-", "")):
            yield Hit("es_dni", match.start(), match.end(), 0.9, "check-letter", "es_dni")
    elif kind == "address":
        yield Hit("address", match.start(), match.end(), 0.6, "heuristic", "address")


class _LazyHint:
    """The key hint, computed only when a decision needs it (most runs never do)."""

    __slots__ = ("_hint", "_start", "_text")

    def __init__(self, text: str, start: int) -> None:
        self._text = text
        self._start = start
        self._hint: KeyHint | None = None

    def supports(self, pii_type: str) -> bool:
        if self._hint is None:
            self._hint = key_hint(self._text, self._start)
        return self._hint.supports(pii_type)


def _classify_number(match: re.Match[str], text: str, regions: tuple[str, ...]) -> Iterator[Hit]:
    start, end = match.span()
    raw = match.group()
    if _followed_by_word(text, end):
        # Not a value on its own; a card may still stand in it. When the last group is glued
        # to a word ("...1111abc") that group is left out; after a separator ("...1111-abc")
        # the whole run is looked at.
        glued = text[end].isalnum() or text[end] in "_@"
        cut = len(raw.rstrip("0123456789")) if glued else len(raw)
        if cut > 0:
            yield from _cards_inside(raw[:cut], start)
        return
    if start > 0 and text[start - 1] == "/":
        yield from _cards_inside(raw, start)
        return
    hint = _LazyHint(text, start)
    if raw.isdigit():
        found = _classify_bare(raw, hint, regions)
        if found is not None:
            yield Hit(found[0], start, end, found[1], found[2])
        return
    extension = _EXTENSION.search(raw) if raw[-1].isdigit() and ("x" in raw or "t" in raw) else None
    core = raw[: extension.start()] if extension else raw
    if raw[0] not in "+(0" and len(core) < 12:
        # Short and without a trunk or country prefix: too short for a national phone number
        # (nine digits at least) or any id here; only an account number after its key. Most
        # runs end here ("200 31744", a status and a byte count), so this path is kept cheap.
        digits = _NON_DIGIT.sub("", core)
        if len(digits) < 9:
            if (
                len(digits) >= 6
                and _account_word_near(text, start)
                and hint.supports("bank_account")
            ):
                yield Hit("bank_account", start, start + len(core), 0.5, "none")
            return
    found = None
    if not (_DATE.match(core) and not core.startswith(("+", "("))) and not _DOTTED_QUAD.match(core):
        groups_text = _SPLIT.split(core.strip("+()"))
        digits = "".join(groups_text)
        groups = tuple(len(g) for g in groups_text)
        seps = set(_SPLIT.findall(core.strip("+()")))
        found = _classify_grouped(raw, core, digits, groups, seps, hint, regions)
    if found is None:
        # The run as a whole is nothing; a card may still be part of it when other figures
        # stand next to it ("4111 1111 1111 1111 2 items", "01/05/2024 4111 1111 1111 1111").
        yield from _cards_inside(core, start)
        return
    pii_type, confidence, validator = found
    after_number = start >= 2 and text[start - 1] == " " and text[start - 2].isdigit()
    if pii_type == "phone" and after_number and not core.startswith(("+", "(+")):
        # Right after another number ("10.0.0.7 555 0100", "200 5123"): a column of figures.
        confidence *= 0.5
    yield Hit(
        pii_type, start, end if pii_type == "phone" else start + len(core), confidence, validator
    )


_DIGIT_GROUP = re.compile(r"\d+")
_MAX_CARD_GROUPS: Final = 5


def _cards_inside(run: str, start: int) -> Iterator[Hit]:
    """Cards among the groups of a longer run: consecutive groups in a card grouping (or one
    group of 12-19 digits that is not a barcode), one separator throughout, Luhn and IIN valid."""
    spans = [m.span() for m in _DIGIT_GROUP.finditer(run)]
    first = 0
    while first < len(spans):
        # A card spans at most five groups: the search stays linear in the length of the run.
        for last in range(min(len(spans), first + _MAX_CARD_GROUPS), first, -1):
            lengths = tuple(b - a for a, b in spans[first:last])
            single = last - first == 1
            if not (lengths in CARD_GROUPINGS or (single and 12 <= lengths[0] <= 19)):
                continue
            piece = run[spans[first][0] : spans[last - 1][1]]
            separators = set(_SPLIT.findall(piece))
            if len(separators) > 1 or separators - {" ", "-"}:
                continue
            digits = _NON_DIGIT.sub("", piece)
            if card_brand(digits) is None or (single and is_barcode(digits)):
                continue
            yield Hit(
                "card",
                start + spans[first][0],
                start + spans[last - 1][1],
                0.95 if not single else 0.9,
                "luhn",
            )
            first = last
            break
        else:
            first += 1


def _classify_bare(  # noqa: PLR0911, PLR0912 - a decision table reads best as early returns
    digits: str, hint: _LazyHint, regions: tuple[str, ...]
) -> tuple[str, float, str] | None:
    count = len(digits)
    if 12 <= count <= 19 and card_brand(digits) is not None:
        if is_barcode(digits) and not hint.supports("card"):
            return None
        return "card", 0.9, "luhn"
    if count == 9:
        for pii_type, name in _NATIONAL_BARE:
            if _CHECKS[pii_type](digits) and hint.supports(pii_type):
                return pii_type, 0.5, name
    elif count == 12:
        if digits[0] not in "01" and verhoeff_valid(digits) and hint.supports("in_aadhaar"):
            return "in_aadhaar", 0.5, "verhoeff"
    elif count == 15:
        if insee_valid(digits):
            return "fr_insee", 0.6, "mod97"
    elif count == 11 and steuer_id_valid(digits) and hint.supports("de_tax_id"):
        return "de_tax_id", 0.5, "iso7064"
    if 6 <= count <= 17 and hint.supports("bank_account"):
        return "bank_account", 0.5, "none"
    # A bare run is a phone number only with a trunk "0" or a phone key: ids look the same.
    if 7 <= count <= 13 and ((digits[0] == "0" and count >= 9) or hint.supports("phone")):
        confidence = phone_confidence(digits, digits, (count,), regions)
        if confidence > 0.0:
            return "phone", confidence, "phonenumbers"
    return None


def _classify_grouped(  # noqa: PLR0911, PLR0917 - a decision table over the run's shape
    raw: str,
    core: str,
    digits: str,
    groups: tuple[int, ...],
    seps: set[str],
    hint: _LazyHint,
    regions: tuple[str, ...],
) -> tuple[str, float, str] | None:
    count = len(digits)
    one_sep = len(seps) == 1 and next(iter(seps)) in (" ", "-")
    plus = core.startswith(("+", "(+"))
    if not plus and 12 <= count <= 19 and one_sep and groups in CARD_GROUPINGS:
        if card_brand(digits) is not None:
            return "card", 0.95, "luhn"
        if count >= 15:
            return None  # card-shaped but not a card: never a phone either
    if not plus:
        if count == 9 and groups == (3, 2, 4) and one_sep:
            return ("us_ssn", 0.85, "ssn-ranges") if _ssn_ok(digits) else None
        aadhaar_shape = count == 12 and groups == (4, 4, 4) and one_sep and digits[0] not in "01"
        if aadhaar_shape and verhoeff_valid(digits):
            return "in_aadhaar", 0.6, "verhoeff"
        if count == 15 and groups in _INSEE_GROUPS and insee_valid(digits):
            return "fr_insee", 0.85, "mod97"
        if count == 11 and hint.supports("de_tax_id") and steuer_id_valid(digits):
            return "de_tax_id", 0.5, "iso7064"
        if 6 <= count <= 17 and hint.supports("bank_account"):
            return "bank_account", 0.5, "none"
    confidence = phone_confidence(raw, digits, groups, regions)
    if confidence > 0.0:
        return "phone", confidence, "phonenumbers"
    return None
