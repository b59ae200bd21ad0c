"""Validation and canonical form of field values, per field type. Pure: no session, no I/O.

Every check raises ``ValueError`` with a reason that names the rule, never the value, so the
reason can be shown in an import report or an HTTP error without leaking customer data.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date

from privault.common.checksums import iban_valid, luhn_valid

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE = re.compile(r"\+?[0-9()\-.\s/]{4,40}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_NATIONAL_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-./ ]{1,63}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_TEXT = 65_536


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _plain(value: str, *, limit: int, what: str, newlines: bool = False) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    if _CONTROL.search(value) or (not newlines and ("\n" in value or "\r" in value)):
        raise ValueError(f"{what} contains control characters")
    return value


def check_email(value: str) -> str:
    """An email address: one @, a dotted domain, at most 254 characters."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not a valid email address")
    return value


def check_phone(value: str) -> str:
    """A phone number: digits with the usual separators, 6 to 15 digits (E.164 allows 15)."""
    value = value.strip()
    if not _PHONE.fullmatch(value):
        raise ValueError("not a valid phone number")
    digits = len(value) - len(value.translate(_NO_DIGITS))
    if not 6 <= digits <= 15:
        raise ValueError("a phone number has 6 to 15 digits")
    return value


def check_name(value: str) -> str:
    """A person's name: non-empty single-line text of at most 200 characters."""
    return _plain(value, limit=200, what="name")


def check_address(value: str) -> str:
    """A postal address: non-empty text of at most 500 characters; line breaks allowed."""
    return _plain(value, limit=500, what="address", newlines=True)


def check_date(value: str) -> str:
    """A calendar date in ISO 8601 form, ``YYYY-MM-DD``."""
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("not a date in YYYY-MM-DD form") from None
    return parsed.isoformat()


def check_card_number(value: str) -> str:
    """A payment card number: 12 to 19 digits (spaces and dashes allowed) passing Luhn."""
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise ValueError("a card number has 12 to 19 digits")
    if not luhn_valid(digits):
        raise ValueError("card number fails the Luhn check")
    return digits


def check_iban(value: str) -> str:
    """An IBAN: country code, check digits and account, passing mod-97; stored without spaces."""
    iban = value.replace(" ", "").upper()
    if not _IBAN.fullmatch(iban) or not iban_valid(iban):
        raise ValueError("not a valid IBAN")
    return iban


def check_national_id(value: str) -> str:
    """A national id: letters, digits and separators, at most 64 characters."""
    value = value.strip()
    if not _NATIONAL_ID.fullmatch(value):
        raise ValueError("not a valid national id")
    return value


def check_ip_address(value: str) -> str:
    """An IPv4 or IPv6 address, stored in its compressed form."""
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        raise ValueError("not a valid IP address") from None


def check_text(value: str) -> str:
    """Free text of at most 65,536 characters without NUL."""
    if len(value) > MAX_TEXT:
        raise ValueError(f"text is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise ValueError("text contains NUL")
    return value


CHECKS: dict[str, Callable[[str], str]] = {
    "email": check_email,
    "phone": check_phone,
    "name": check_name,
    "address": check_address,
    "date": check_date,
    "card_number": check_card_number,
    "iban": check_iban,
    "national_id": check_national_id,
    "ip_address": check_ip_address,
    "text": check_text,
}


def canonical_value(field_type: str, value: object) -> str:
    """Validate ``value`` for ``field_type`` and return its stored form, or raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return CHECKS[field_type](value)


def check_subject_id(subject_id: object) -> str:
    """A customer id: 1 to 255 printable characters."""
    if not isinstance(subject_id, str):
        raise ValueError("customer id must be a string")
    if not subject_id or len(subject_id) > 255:
        raise ValueError("customer id must have 1 to 255 characters")
    if _CONTROL.search(subject_id) or "\n" in subject_id or "\r" in subject_id:
        raise ValueError("customer id contains control characters")
    return subject_id


FIELDS_FORMAT = 1


def pack_fields(ciphertexts: dict[str, bytes]) -> bytes:
    """Pack field ciphertexts into the stored form of a record.

    Layout: format byte, then per field: name length (1 byte), name (UTF-8), ciphertext length
    (4 bytes, big-endian), ciphertext. Names are data-map identifiers (<= 63 ASCII characters).
    """
    parts = [bytes([FIELDS_FORMAT])]
    for name, ciphertext in ciphertexts.items():
        encoded = name.encode()
        parts += (bytes([len(encoded)]), encoded, len(ciphertext).to_bytes(4, "big"), ciphertext)
    return b"".join(parts)


def unpack_fields(packed: bytes) -> dict[str, bytes]:
    """The field ciphertexts of a stored record; ValueError if the bytes are malformed."""
    if not packed or packed[0] != FIELDS_FORMAT:
        raise ValueError("unknown record format")
    result: dict[str, bytes] = {}
    offset, end = 1, len(packed)
    while offset < end:
        size = packed[offset]
        name_end = offset + 1 + size
        length_end = name_end + 4
        if length_end > end:
            raise ValueError("record is truncated")
        name = packed[offset + 1 : name_end].decode("ascii")
        length = int.from_bytes(packed[name_end:length_end], "big")
        offset = length_end + length
        if offset > end or name in result:
            raise ValueError("record is truncated" if offset > end else "field appears twice")
        result[name] = packed[length_end:offset]
    return result
