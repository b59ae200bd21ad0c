"""Payment cards: the issuer (IIN) table, lengths, Luhn, and the groupings people write."""

from __future__ import annotations

from typing import Final

from privault.common.checksums import gtin_valid, luhn_valid

__all__ = ["CARD_GROUPINGS", "card_brand"]

# (first digits low, high, lengths, brand). Current ranges from the networks' published tables.
# Left out: 13-digit Visa (no longer issued; it would take 13-digit barcodes) and UATP's bare
# "1" prefix (it would take any 15-digit number starting with 1, such as French NIRs).
_IIN: Final[tuple[tuple[str, str, frozenset[int], str], ...]] = (
    ("4", "4", frozenset({16, 18, 19}), "visa"),
    ("51", "55", frozenset({16}), "mastercard"),
    ("2221", "2720", frozenset({16}), "mastercard"),
    ("34", "34", frozenset({15}), "amex"),
    ("37", "37", frozenset({15}), "amex"),
    ("6011", "6011", frozenset(range(16, 20)), "discover"),
    ("644", "649", frozenset(range(16, 20)), "discover"),
    ("65", "65", frozenset(range(16, 20)), "discover"),
    ("622126", "622925", frozenset(range(16, 20)), "discover"),
    ("3528", "3589", frozenset(range(16, 20)), "jcb"),
    ("36", "36", frozenset(range(14, 20)), "diners"),
    ("300", "305", frozenset(range(16, 20)), "diners"),
    ("3095", "3095", frozenset(range(16, 20)), "diners"),
    ("38", "39", frozenset(range(16, 20)), "diners"),
    ("62", "62", frozenset(range(16, 20)), "unionpay"),
    ("81", "81", frozenset(range(16, 20)), "unionpay"),
    ("5018", "5018", frozenset(range(12, 20)), "maestro"),
    ("5020", "5020", frozenset(range(12, 20)), "maestro"),
    ("5038", "5038", frozenset(range(12, 20)), "maestro"),
    ("5893", "5893", frozenset(range(12, 20)), "maestro"),
    ("6304", "6304", frozenset(range(12, 20)), "maestro"),
    ("6759", "6759", frozenset(range(12, 20)), "maestro"),
    ("6761", "6763", frozenset(range(12, 20)), "maestro"),
    ("2200", "2204", frozenset(range(16, 20)), "mir"),
    ("60", "60", frozenset({16}), "rupay"),
    ("508", "508", frozenset({16}), "rupay"),
    ("353", "353", frozenset({16}), "rupay"),
    ("356", "356", frozenset({16}), "rupay"),
    ("82", "82", frozenset({16}), "rupay"),
    ("506099", "506198", frozenset({16, 18, 19}), "verve"),
    ("650002", "650027", frozenset({16, 18, 19}), "verve"),
    ("507865", "507964", frozenset({16, 18, 19}), "verve"),
    ("9792", "9792", frozenset({16}), "troy"),
    ("5019", "5019", frozenset({16}), "dankort"),
    ("636", "636", frozenset(range(16, 20)), "interpayment"),
    ("637", "639", frozenset({16}), "instapayment"),
)

# How card numbers are written when grouped: digit counts per group.
CARD_GROUPINGS: Final = frozenset(
    {
        (4, 4, 4, 4),
        (4, 6, 5),
        (4, 6, 4),
        (4, 4, 4, 4, 3),
        (4, 4, 4, 4, 2),
        (4, 4, 4, 2),
        (4, 4, 4, 3),
        (4, 4, 4),
        (4, 4, 5),
        (6, 13),
    }
)


def card_brand(digits: str) -> str | None:
    """The network of a card number if its prefix and length match the IIN table and Luhn holds."""
    length = len(digits)
    if not 12 <= length <= 19:
        return None
    for low, high, lengths, brand in _IIN:
        if length in lengths and low <= digits[: len(low)] <= high:
            return brand if luhn_valid(digits) else None
    return None


def is_barcode(digits: str) -> bool:
    """Whether an ungrouped number is shaped and checksummed like a GS1 barcode (EAN/UPC/GTIN)."""
    return len(digits) in (8, 12, 13, 14) and gtin_valid(digits)
