"""Blind indexes: find records by an exact value without decrypting anything.

A blind index is ``HMAC-SHA256(field key, normalise(value))``. The field key is derived with
HKDF-SHA256 from a root key, bound to a purpose label, the collection and the field, so the
same e-mail address indexes differently in ``customers.email`` and ``newsletter.email`` and a
blind-index key never equals a deterministic-token key. Values are normalised first so that
``Jane@Example.com `` and ``jane@example.com`` find the same record.

The index is kept at its full 32 bytes: a lookup then never returns a false positive, so the
vault needs no decryption to confirm a match, and 16 extra bytes per row is cheap. A shortened
index (CipherSweet style) would blur frequency analysis only if callers filtered candidates
after decryption; see ``docs/tokens.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata
from collections.abc import Callable
from typing import Final

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privault.errors import InvalidInput

__all__ = [
    "BLIND_INDEX_PURPOSE",
    "FIELD_TYPES",
    "INDEX_LENGTH",
    "MIN_ROOT_KEY_LENGTH",
    "BlindIndexer",
    "check_field_type",
    "check_root_key",
    "derive_field_key",
    "normalise",
]

FIELD_TYPES: Final[frozenset[str]] = frozenset(
    {
        "email",
        "phone",
        "name",
        "address",
        "date",
        "card_number",
        "iban",
        "national_id",
        "ip_address",
        "text",
    }
)
"""The field types of the data map, as plain strings (``privault.datamap.FieldType`` values)."""

BLIND_INDEX_PURPOSE: Final = "privault/blind-index/v1"
INDEX_LENGTH: Final = 32
MIN_ROOT_KEY_LENGTH: Final = 32
_FIELD_KEY_LENGTH: Final = 32
# Names come from the data map, so the cache stays small; the bound only stops a caller that
# forwards unchecked names from growing it without limit.
_MAX_CACHED_KEYS: Final = 4096
# phonenumbers refuses longer input itself; checking first keeps the error ours.
_MAX_PHONE_LENGTH: Final = 250


def check_field_type(field_type: str) -> None:
    """Raise ``InvalidInput`` unless ``field_type`` is one of ``FIELD_TYPES``."""
    if field_type not in FIELD_TYPES:
        raise InvalidInput("unknown field type", code="unknown_field_type", field_type=field_type)


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _normalise_email(value: str) -> str:
    # The whole address is lower-cased, not only the domain: RFC 5321 lets the local part be
    # case-sensitive, but no mainstream provider treats it so, and customers retype their address
    # in whatever case; a search that misses "Jane@x.com" for "jane@x.com" is the worse failure.
    email = _nfkc(value).strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in email):
        raise InvalidInput("value is not an e-mail address", code="invalid_email")
    return email


def _normalise_phone(value: str, default_region: str) -> str:
    text = _nfkc(value).strip()
    if len(text) > _MAX_PHONE_LENGTH:
        raise InvalidInput("value is too long for a phone number", code="invalid_phone")
    number = _parse_possible_phone(text, default_region)
    if number is None and text.startswith("00"):
        # "00" is the international prefix in most of the world; the default region's own prefix
        # (011 in the US, 0011 in Australia) is already understood by phonenumbers.
        number = _parse_possible_phone("+" + text[2:], default_region)
    if number is None:
        raise InvalidInput("value is not a possible phone number", code="invalid_phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _parse_possible_phone(text: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _normalise_name(value: str) -> str:
    return " ".join(_nfkc(value).casefold().split())


def _normalise_card_number(value: str) -> str:
    digits = _nfkc(value).strip().replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("value is not a card number", code="invalid_card_number")
    return digits


def _normalise_iban(value: str) -> str:
    return "".join(_nfkc(value).split()).upper()


def _normalise_ip_address(value: str) -> str:
    try:
        return ipaddress.ip_address(_nfkc(value).strip()).compressed
    except ValueError:
        raise InvalidInput("value is not an IP address", code="invalid_ip_address") from None


_NORMALISERS: Final[dict[str, Callable[[str], str]]] = {
    "email": _normalise_email,
    "name": _normalise_name,
    "card_number": _normalise_card_number,
    "iban": _normalise_iban,
    "ip_address": _normalise_ip_address,
}


def normalise(field_type: str, value: str, *, default_region: str = "US") -> str:
    """Bring a value to the one canonical form its field type searches and tokenises by."""
    check_field_type(field_type)
    if not isinstance(value, str):
        raise InvalidInput("value must be a string", code="invalid_value", field_type=field_type)
    if field_type == "phone":
        return _normalise_phone(value, default_region)
    normaliser = _NORMALISERS.get(field_type)
    return normaliser(value) if normaliser else _nfkc(value).strip()


def _length_prefixed(part: str) -> bytes:
    raw = part.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


def check_root_key(root_key: bytes) -> None:
    """Raise ``InvalidInput`` unless ``root_key`` is bytes of at least 32 bytes."""
    if not isinstance(root_key, bytes) or len(root_key) < MIN_ROOT_KEY_LENGTH:
        raise InvalidInput(
            f"root key must be at least {MIN_ROOT_KEY_LENGTH} bytes", code="invalid_root_key"
        )


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{kind} name must be a non-empty string", code=f"invalid_{kind}")


def derive_field_key(root_key: bytes, *, purpose: str, collection: str, field: str) -> bytes:
    """Derive the 32-byte key of one purpose for one (collection, field) with HKDF-SHA256."""
    check_root_key(root_key)
    _check_name("collection", collection)
    _check_name("field", field)
    # Length prefixes keep the encoding injective: ("ab", "c") and ("a", "bc") never share a key.
    info = b"".join(_length_prefixed(part) for part in (purpose, collection, field))
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_FIELD_KEY_LENGTH, salt=None, info=info)
    return hkdf.derive(root_key)


class BlindIndexer:
    """Computes blind indexes under per-(collection, field) keys derived from one root key."""

    def __init__(self, root_key: bytes) -> None:
        check_root_key(root_key)
        self._root_key = root_key
        self._keys: dict[tuple[str, str], bytes] = {}

    def field_key(self, *, collection: str, field: str) -> bytes:
        """The blind-index key of one field, derived once and then cached."""
        cache_key = (collection, field)
        key = self._keys.get(cache_key)
        if key is None:
            key = derive_field_key(
                self._root_key, purpose=BLIND_INDEX_PURPOSE, collection=collection, field=field
            )
            if len(self._keys) < _MAX_CACHED_KEYS:
                self._keys[cache_key] = key
        return key

    def index(
        self,
        *,
        collection: str,
        field: str,
        field_type: str,
        value: str,
        default_phone_region: str = "US",
    ) -> bytes:
        """Return the 32-byte blind index of a value: HMAC-SHA256 over its normalised form."""
        canonical = normalise(field_type, value, default_region=default_phone_region)
        key = self.field_key(collection=collection, field=field)
        return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
