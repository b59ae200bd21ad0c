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

__all__ = ["KV_SECRET_PATTERN", "PEM_PATTERN", "PROVIDER_KEY_PATTERN", "JWT_PATTERN"]

PEM_PATTERN: Final = (
    r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?"
)


def classify_pem(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A PEM/OpenSSH/PGP private key block (or its header alone when the block is cut off)."""
    yield Hit("secret", match.start(), match.end(), 0.99, "pem-armor")


JWT_PATTERN: Final = (
    r"(?<![\w\-])eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{8,}(?![\w\-])"
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


PROVIDER_KEY_PATTERN: Final = (
    r"(?<![\w\-])(?:"
    r"(?P<aws>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})"
    r"|(?P<github>gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})"
    r"|(?P<stripe>(?:sk|rk)_live_[0-9A-Za-z]{20,247})"
    r"|(?P<slack>xox[abeoprs]-[0-9A-Za-z\-]{10,250})"
    r"|(?P<google>AIza[0-9A-Za-z_\-]{35})"
    r")(?![\w\-])"
    r"|(?P<slackhook>https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+)"
)
_BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    return digits.rjust(6, "0")


def classify_provider_key(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Keys with a provider's fixed prefix; GitHub tokens also carry a CRC32 we can check."""
    kind = match.lastgroup or "secret"
    value = match.group()
    validator, confidence = "prefix", 0.9
    if kind == "github" and not value.startswith("github_pat_") and len(value) == 40:
        body, checksum = value[4:34], value[34:]
        if _base62(zlib.crc32(body.encode())) == checksum:
            validator, confidence = "crc32", 0.99
    yield Hit("secret", match.start(), match.end(), confidence, validator)


KV_SECRET_PATTERN: Final = (
    r"(?i:(?<![A-Za-z0-9])(?:[a-z0-9]+[_\-.])*(?:secret|token|api[_\-]?key|apikey|access[_\-]?key|"
    r"private[_\-]?key|client[_\-]?secret|auth|authorization|bearer|credentials?|password|passwd|"
    r"pwd|passphrase|signing[_\-]?key|webhook[_\-]?secret)(?:[_\-.][a-z0-9]+)*)"
    r"""["']?\s{0,3}(?:[:=]|=>)\s{0,3}["']?(?:(?i:bearer|basic|token)\s+)?"""
    r"(?P<value>[A-Za-z0-9+/=_\-.~!@#$%^&*]{8,})"
)
_PASSWORD_KEY = re.compile(r"(?i)pass|pwd")


def _entropy(value: str) -> float:
    counts = Counter(value)
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in counts.values())


def classify_kv_secret(match: re.Match[str], text: str) -> Iterator[Hit]:
    """A value after a secret-named key: passwords always, tokens when they are high-entropy."""
    value = match.group("value").rstrip(".,;\"'")
    start = match.start("value")
    key = match.group()[: start - match.start()]
    if value.lower() in {"null", "none", "true", "false", "redacted", "********", "xxxxxxxx"}:
        return
    if set(value) <= {"*", "x", "X", "#", "•"} or value.startswith("[") or "$" == value[:1]:
        return
    if _PASSWORD_KEY.search(key):
        yield Hit("secret", start, start + len(value), 0.8, "key-context")
        return
    if len(value) >= 16 and _entropy(value) >= 3.5:
        yield Hit("secret", start, start + len(value), 0.8, "entropy")
