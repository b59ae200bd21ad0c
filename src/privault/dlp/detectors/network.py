"""E-mail addresses and IP addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Final

from privault.dlp.detectors.base import Hit

__all__ = [
    "EMAIL_PATTERN",
    "IPV4_PATTERN",
    "IPV6_PATTERN",
    "classify_email",
    "classify_ipv4",
    "classify_ipv6",
]

# Anchored on the "@" (a literal the regex engine finds fast); the local part is read backwards.
EMAIL_PATTERN: Final = (
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w\-]|\.\w)"
)
_LOCAL_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
# Retina image names such as icon@2x.png look like addresses; their "top-level domain" gives
# them away.
_FILE_SUFFIXES: Final = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "css", "map", "avif", "bmp", "tif"}
)


def classify_email(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Accept an address unless it has consecutive dots or a file-name suffix as its domain."""
    at = match.start()
    start = at
    floor = max(0, at - 65)
    while start > floor and text[start - 1] in _LOCAL_CHARS:
        start -= 1
    if start == at or (start == floor and floor > 0 and text[floor - 1] in _LOCAL_CHARS):
        return
    while start < at and not text[start].isalnum():
        start += 1  # an address does not start with a dot, dash or plus
    local = text[start:at]
    domain = match.group()[1:]
    if not local or ".." in local or local.endswith(".") or ".." in domain:
        return
    if domain.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES:
        return
    yield Hit("email", start, match.end(), 0.95, "format")


IPV4_PATTERN: Final = r"\d(?<![\w.\-]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\.?\d|\.[A-Za-z])"
IPV6_PATTERN: Final = (
    r"[0-9A-Fa-f:](?<![\w:.].)(?:(?<=:):|[0-9A-Fa-f]{0,3}:)(?:[0-9A-Fa-f]{1,4}:|:){1,6}+"
    r"(?:[0-9A-Fa-f]{1,4}|(?<=:)\d{1,3}(?:\.\d{1,3}){3})?+(?:%[\w.]+)?(?![\w:])"
)
_LOW_VALUE: Final = 0.35


def _ip_confidence(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> float:
    # Loopback, unspecified and multicast addresses say nothing about a person.
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return _LOW_VALUE
    return 0.9


def classify_ipv4(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Accept dotted quads whose octets are each at most 255 (checked with ``ipaddress``)."""
    try:
        address = ipaddress.IPv4Address(match.group())
    except ValueError:
        return
    yield Hit("ip_address", match.start(), match.end(), _ip_confidence(address), "ipaddress")


def classify_ipv6(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Accept IPv6 addresses that ``ipaddress`` parses (times and MAC addresses do not)."""
    value = match.group()
    if "::" not in value and value.count(":") != 7 and "." not in value:
        return
    try:
        address = ipaddress.IPv6Address(value.split("%", 1)[0])
    except ValueError:
        return
    yield Hit("ip_address", match.start(), match.end(), _ip_confidence(address), "ipaddress")
