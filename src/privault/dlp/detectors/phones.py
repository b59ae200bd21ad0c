"""Telephone numbers: shape rules first (cheap), then ``phonenumbers`` validation (exact)."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import phonenumbers

__all__ = ["DEFAULT_REGIONS", "phone_confidence"]

# Regions tried, in order, for numbers written without a country code.
DEFAULT_REGIONS: Final = (
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "IN",
    "CA",
    "AU",
    "AT",
    "CH",
    "BE",
    "IE",
    "PL",
    "PT",
    "SE",
    "DK",
)


@lru_cache(maxsize=4096)
def _valid_international(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


@lru_cache(maxsize=4096)
def _valid_national(number: str, regions: tuple[str, ...]) -> bool:
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False


def phone_confidence(  # noqa: PLR0911 - shape rules read best as early returns
    raw: str, digits: str, groups: tuple[int, ...], regions: tuple[str, ...]
) -> float:
    """Base confidence that a digit run is a phone number (0 when it is not one).

    ``raw`` is the run as written, ``digits`` its digits, ``groups`` the digit counts between
    separators. Numbers with a ``+``/``00`` prefix are validated as international numbers; others
    are tried against ``regions``. A bare run of digits without any grouping is only a weak
    candidate: order ids and timestamps look the same, so it needs a key such as ``phone=``.
    """
    international = raw.startswith(("+", "(+")) or (digits.startswith("00") and len(groups) > 1)
    if international:
        number = "+" + digits[2:] if not raw.lstrip("(").startswith("+") else "+" + digits
        if not 8 <= len(digits) <= 17 or not _valid_international(number):
            return 0.0
        return 0.9 if len(groups) > 1 else 0.85
    if not 7 <= len(digits) <= 13:
        return 0.0
    # Without a trunk "0", the default regions' national numbers have nine digits or more
    # (NANP ten, Spain nine, Italian and Indian mobiles ten); shorter ones are figures such as
    # an HTTP status and a byte count ("200 31744").
    if digits[0] != "0" and len(digits) < 9:
        return 0.0
    # Each group of a nationally written number has two digits or more, except a leading trunk
    # or NANP "1"; this keeps out version strings, decimals and dates such as 1.2.3 or 10.0.19041.
    if any(size < 2 for size in groups[1:]) or (groups[0] < 2 and digits[0] not in "01"):
        return 0.0
    if groups in ((3, 2, 4),) or (len(groups) > 1 and max(groups) > 8):
        return 0.0
    if not _valid_national(digits, regions):
        return 0.0
    # Short local numbers (no area code) and bare digit runs look like counters and ids; a bare
    # run that starts with a trunk "0" (and not "00") is a habit of phone numbers, not of ids.
    if len(digits) < 8:
        return 0.3
    if len(groups) == 1 and "(" not in raw:
        return 0.6 if digits[0] == "0" and digits[1] != "0" and len(digits) >= 9 else 0.3
    return 0.8
