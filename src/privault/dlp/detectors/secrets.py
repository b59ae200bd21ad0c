"""Secrets: private keys, JWTs, cloud and payment provider keys, tokens in key-value context."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Final

from privault.dlp.detectors.base import Hit

__all__ = [
    "JWT_PATTERN",
    "KV_SECRET_PATTERN",
    "PEM_PATTERN",
    "PROVIDER_KEY_PATTERNS",
    "classify_jwt",
    "classify_kv_secret",
    "classify_pem",
    "classify_provider_key",
]

PEM_PATTERN: Final = (
    r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?"
)


def classify_pem(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A PEM/OpenSSH/PGP private key block (or its header alone when the block is cut off)."""
    yield Hit("secret", match.start(), match.end(), 0.99, "pem-armor")


JWT_PATTERN: Final = (
    r"eyJ(?<![\w\-]eyJ)[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{8,}(?![\w\-])"
)


def _b64url_json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None


def classify_jwt(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A signed JWT: the header must decode to JSON naming an ``alg``."""
    header = _b64url_json(match.group().split(".", 1)[0])
    if isinstance(header, dict) and "alg" in header:
        yield Hit("secret", match.start(), match.end(), 0.95, "jwt-header")


# One pattern per provider, each opening with a literal so that the regex engine can skip ahead;
# the "not glued to a longer word" check on the left is done in Python.
PROVIDER_KEY_PATTERNS: Final = {
    "aws_access_key": r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z2-7]{16}(?![\w\-])",
    "google_api_key": r"AIza[0-9A-Za-z_\-]{35}(?![\w\-])",
    "github_token": r"g(?:h[pousr]_[A-Za-z0-9]{36,251}|ithub_pat_[A-Za-z0-9_]{82})(?![\w\-])",
    "stripe_secret_key": r"sk_live_[0-9A-Za-z]{20,247}(?![\w\-])",
    "stripe_restricted_key": r"rk_live_[0-9A-Za-z]{20,247}(?![\w\-])",
    "slack_token": r"xox[abeoprs]-[0-9A-Za-z\-]{10,250}(?![\w\-])",
    "slack_webhook": r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+",
}
_BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    return digits.rjust(6, "0")


def classify_provider_key(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Keys with a provider's fixed prefix; classic GitHub tokens also carry a CRC32 we check."""
    value = match.group()
    start = match.start()
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-"):
        return
    validator, confidence = "prefix", 0.9
    if value.startswith("gh") and len(value) == 40:
        body, checksum = value[4:34], value[34:]
        if _base62(zlib.crc32(body.encode())) == checksum:
            validator, confidence = "crc32", 0.99
    yield Hit("secret", start, match.end(), confidence, validator)


# Runs over the lower-cased text; the value's span is read back from the original.
# (ruff's S105 below mistakes this pattern, which finds secrets, for a hard-coded one.)
KV_SECRET_PATTERN: Final = (
    r"(?:secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|client[_\-]?secret|"  # noqa: S105
    r"auth|authorization|bearer|credentials?|password|passwd|pwd|passphrase|signing[_\-]?key|"
    r"webhook[_\-]?secret)(?:[_\-.][a-z0-9]+)*"
    r"""["']?\s{0,3}(?:[:=]|=>)\s{0,3}["']?(?:(?:bearer|basic|token)\s+)?"""
    r"(?P<value>[a-z0-9+/=_\-.~!@#$%^&*]{8,})"
)
_PASSWORD_KEY = re.compile(r"pass|pwd")
_PLACEHOLDERS: Final = frozenset(
    {"null", "none", "true", "false", "redacted", "********", "xxxxxxxx", "changeme", "undefined"}
)


def _entropy(value: str) -> float:
    counts = Counter(value)
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in counts.values())


def classify_kv_secret(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A value after a secret-named key: passwords always, tokens when they are high-entropy."""
    start = match.start("value")
    value = text[start : match.end("value")].rstrip(".,;\"'")
    key = match.group()[: start - match.start()]
    if value.lower() in _PLACEHOLDERS or set(value) <= {"*", "x", "X", "#"}:
        return
    if _PASSWORD_KEY.search(key):
        yield Hit("secret", start, start + len(value), 0.8, "key-context")
    elif len(value) >= 16 and _entropy(value) >= 3.5:
        yield Hit("secret", start, start + len(value), 0.8, "entropy")
