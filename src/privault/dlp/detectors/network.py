"""E-mail addresses and IP addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from privault.dlp.detectors.base import Hit

__all__ = [
    "EMAIL_PATTERN",
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


# Anchored on the first colon (a literal the regex engine finds fast): the up to four hex digits
# before it are checked by lookbehind (each width its own, as lookbehinds are fixed-width), and a
# lookahead insists on "::" or eight groups, which times such as 12:34:56 never have.
IPV6_PATTERN: Final = (
    r":(?:(?<=(?<![\w:.])[0-9A-Fa-f]{4}:)|(?<=(?<![\w:.])[0-9A-Fa-f]{3}:)"
    r"|(?<=(?<![\w:.])[0-9A-Fa-f]{2}:)|(?<=(?<![\w:.])[0-9A-Fa-f]:)|(?<![\w:.].))"
    r"(?=:|[0-9A-Fa-f:.]*::|(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]{1,4})"
    r"(?:[0-9A-Fa-f]{1,4}:|:){0,6}+"
    r"(?:[0-9A-Fa-f]{1,4}|(?<=:)\d{1,3}(?:\.\d{1,3}){3})?+(?:%[\w.]+)?(?![\w:])"
)
_LOW_VALUE: Final = 0.35
_HEX: Final = frozenset("0123456789abcdefABCDEF")


def _ip_confidence(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> float:
    # Loopback, unspecified and multicast addresses say nothing about a person.
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return _LOW_VALUE
    return 0.9


@lru_cache(maxsize=8192)
def _ipv4_confidence(value: str) -> float:
    # Logs repeat the same client addresses; the cache spares ipaddress's parser the repeats.
    try:
        return _ip_confidence(ipaddress.IPv4Address(value))
    except ValueError:
        return 0.0


def classify_ipv4(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Accept dotted quads whose octets are each at most 255 (checked with ``ipaddress``)."""
    confidence = _ipv4_confidence(match.group())
    if confidence:
        yield Hit("ip_address", match.start(), match.end(), confidence, "ipaddress")


def classify_ipv6(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Accept IPv6 addresses that ``ipaddress`` parses (times and MAC addresses do not)."""
    start = match.start()
    while start > 0 and start > match.start() - 4 and text[start - 1] in _HEX:
        start -= 1
    value = text[start : match.end()]
    if "::" not in value and value.count(":") != 7 and "." not in value:
        return
    try:
        address = ipaddress.IPv6Address(value.split("%", 1)[0])
    except ValueError:
        return
    yield Hit("ip_address", start, match.end(), _ip_confidence(address), "ipaddress")
