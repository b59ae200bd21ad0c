"""Tokens the shop keeps in its own systems instead of customer data.

Three kinds, each leaking exactly what ``docs/tokens.md`` states and nothing more:

- random (``tok_<region>_<base32>``): a pointer token (``vault.pointers``); reveals the region only.
- deterministic (``tok_<region>_d_<32 base32 chars>``): HMAC-SHA256 of the normalised value under
  a key derived per (region, collection, field); equal values in one field give equal tokens.
- card: a digit string of the card number's length keeping BIN and last four, with a random
  middle chosen so the whole string fails the Luhn check and can never pass for a real card.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Final

from privault.common.checksums import luhn_valid as _luhn
from privault.crypto import check_root_key, derive_field_key, normalise
from privault.errors import InvalidInput

__all__ = [
    "DETERMINISTIC_KEY_PURPOSE",
    "DeterministicTokenizer",
    "is_card_security_code_field",
    "luhn_valid",
    "new_card_token",
]

DETERMINISTIC_KEY_PURPOSE: Final = "privault/token/deterministic/v1"
# 20 bytes is 160 bits and exactly 32 base32 characters, so no padding is ever stripped and both
# token kinds share one body length.
_TOKEN_BYTES: Final = 20
# A region of the data map (``datamap.IDENTIFIER``).
_REGION_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Names come from the data map; the bound stops unchecked names growing the key cache.
_MAX_CACHED_KEYS: Final = 4096
_CARD_MIN_DIGITS: Final = 12
_CARD_MAX_DIGITS: Final = 19
# Below 13 digits, BIN and last four would leave two hidden digits, one of them fixed by the
# Luhn check of the real number: ten guesses. Such short numbers keep their last four only.
_CARD_MIN_DIGITS_FOR_BIN: Final = 13
_SECURITY_CODE_NAMES: Final = frozenset(
    {
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "cid",
        "csc",
        "cvn",
        "cav2",
        "securitycode",
        "cardsecuritycode",
        "cardverificationvalue",
        "cardverificationcode",
        "cardcode",
    }
)


def _check_region(region: str) -> None:
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise InvalidInput(
            "region must be a lower-case letter then up to 62 letters, digits or '_'",
            code="invalid_region",
        )


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").lower()


class DeterministicTokenizer:
    """Issues tokens that are equal exactly when the normalised values in one field are equal.

    The region is part of the key derivation: the same customer in ``eu`` and ``us`` gets
    unrelated tokens, so tokens cannot join data across regions, which are separate security
    and residency domains with their own keys everywhere else.
    """

    def __init__(self, root_key: bytes) -> None:
        check_root_key(root_key)
        self._root_key = root_key
        self._keys: dict[tuple[str, str, str], bytes] = {}

    def key(self, region: str, collection: str, field: str) -> bytes:
        """The HMAC key of one (region, collection, field)."""
        return self._key(region, collection, field)

    def _key(self, region: str, collection: str, field: str) -> bytes:
        cache_key = (region, collection, field)
        key = self._keys.get(cache_key)
        if key is None:
            key = derive_field_key(
                self._root_key,
                purpose=f"{DETERMINISTIC_KEY_PURPOSE}/{region}",
                collection=collection,
                field=field,
            )
            if len(self._keys) < _MAX_CACHED_KEYS:
                self._keys[cache_key] = key
        return key

    def token(
        self,
        *,
        region: str,
        collection: str,
        field: str,
        field_type: str,
        value: str,
        default_phone_region: str = "US",
    ) -> str:
        """Return the deterministic token of a value, e.g. ``tok_eu_d_...``."""
        _check_region(region)
        canonical = normalise(field_type, value, default_region=default_phone_region)
        key = self._key(region, collection, field)
        mac = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
        return f"tok_{region}_d_{_b32(mac[:_TOKEN_BYTES])}"


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    return _luhn(digits)


def new_card_token(card_number: str) -> str:
    """Return a Luhn-invalid stand-in of the same length keeping the BIN and the last four digits.

    Spaces and dashes are ignored. 13-19 digit numbers keep their first six and last four digits;
    12-digit numbers keep only the last four. The middle is uniform over the completions that
    fail the Luhn check (rejection sampling), so the token can never be mistaken for a card.
    """
    if not isinstance(card_number, str):
        raise InvalidInput("card number must be a string", code="invalid_card_number")
    digits = card_number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("card number must contain only digits", code="invalid_card_number")
    if not _CARD_MIN_DIGITS <= len(digits) <= _CARD_MAX_DIGITS:
        raise InvalidInput(
            f"card number must have {_CARD_MIN_DIGITS}-{_CARD_MAX_DIGITS} digits",
            code="invalid_card_number",
        )
    head = digits[:6] if len(digits) >= _CARD_MIN_DIGITS_FOR_BIN else ""
    tail = digits[-4:]
    hidden = len(digits) - len(head) - len(tail)
    while True:
        # At least nine completions in ten fail the check, so this loops about 1.1 times.
        middle = str(secrets.randbelow(10**hidden)).zfill(hidden)
        candidate = head + middle + tail
        if not _luhn(candidate):
            return candidate


def is_card_security_code_field(name: str) -> bool:
    """Whether a field name looks like a card security code (CVV/CVC), which must never be stored.

    A heuristic on the name only: case, separators and a ``card`` prefix are ignored.
    """
    compact = "".join(ch for ch in name.casefold() if ch.isalnum())
    if compact in _SECURITY_CODE_NAMES:
        return True
    return any(marker in compact for marker in ("cvv", "cvc", "securitycode"))
