"""Single-use recovery codes: generation, keyed hashing for storage, verification.

Each code is 16 characters of Crockford base32 (80 random bits), shown as ``xxxx-xxxx-xxxx-xxxx``.
The alphabet has no I, L, O or U, and input maps i/l to 1 and o to 0, so misreading a printed code
does not lock anyone out. Codes are stored as HMAC-SHA256 under a key from the key store: with 80
bits of entropy a slow hash buys nothing (2^80 guesses is out of reach at any hash speed), and the
key means a database copy alone does not even allow offline guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from privault.errors import InvalidInput

__all__ = [
    "RECOVERY_CODE_BITS",
    "generate_recovery_codes",
    "hash_recovery_code",
    "normalise_recovery_code",
    "verify_recovery_code",
]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_GROUPS = 4
_GROUP_LENGTH = 4
_LENGTH = _GROUPS * _GROUP_LENGTH
RECOVERY_CODE_BITS = _LENGTH * 5
"""Random bits per code (80)."""
_MIN_CODES = 10
_MAX_CODES = 100
_MIN_KEY_BYTES = 32
_CONFUSABLE = str.maketrans({"i": "1", "l": "1", "o": "0", "-": None, " ": None})


def generate_recovery_codes(n: int = _MIN_CODES) -> list[str]:
    """``n`` (10-100) fresh codes, each 80 bits from the CSPRNG, grouped for reading."""
    if not _MIN_CODES <= n <= _MAX_CODES:
        raise InvalidInput(
            f"number of recovery codes must be within {_MIN_CODES}..{_MAX_CODES}",
            code="bad_recovery_code_count",
        )
    codes: set[str] = set()
    while len(codes) < n:  # a repeat is astronomically unlikely, but two equal codes break indexing
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        codes.add("-".join(raw[i : i + _GROUP_LENGTH] for i in range(0, _LENGTH, _GROUP_LENGTH)))
    return sorted(codes)


def normalise_recovery_code(code: str) -> str | None:
    """The canonical 16-character form of a typed code, or None if it cannot be one."""
    if not isinstance(code, str) or len(code) > 4 * _LENGTH:
        return None
    compact = code.strip().casefold().translate(_CONFUSABLE)
    if len(compact) != _LENGTH or any(ch not in _ALPHABET for ch in compact):
        return None
    return compact


def hash_recovery_code(code: str, *, key: bytes) -> str:
    """The hex HMAC-SHA256 of the canonical code, for storage."""
    canonical = normalise_recovery_code(code)
    if canonical is None:
        raise InvalidInput("recovery code is malformed", code="recovery_code_malformed")
    return _mac(canonical, key)


def verify_recovery_code(
    code: str, stored_hashes: Sequence[str | None], *, key: bytes
) -> int | None:
    """Index of the unused stored code ``code`` matches, or None; used codes are None entries."""
    canonical = normalise_recovery_code(code)
    if canonical is None:
        return None
    candidate = _mac(canonical, key).encode("ascii")
    matched: int | None = None
    for index, stored in enumerate(stored_hashes):
        if stored is None:
            continue
        # All entries are compared, so timing does not reveal the position of a match.
        if hmac.compare_digest(candidate, stored.encode("utf-8")) and matched is None:
            matched = index
    return matched


def _mac(canonical: str, key: bytes) -> str:
    if len(key) < _MIN_KEY_BYTES:
        raise InvalidInput(
            "recovery code key must be at least 32 bytes", code="bad_recovery_code_key"
        )
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()
