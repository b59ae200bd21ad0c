"""Pure rules of the consent ledger: input checks, language tags, notice texts, pseudonyms.

No session, no I/O: everything here is checked before anything is written.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import datetime

from privault.consent.models import LANGUAGE_LENGTH, NOTICE_VERSION_LENGTH, ConsentSource
from privault.datamap import DataMap
from privault.errors import InvalidInput

__all__ = [
    "MAX_NOTICE_BYTES",
    "ORIGIN_KEY_LABEL",
    "check_at",
    "check_language",
    "check_notice_text",
    "check_notice_version",
    "check_origin",
    "check_published_version",
    "check_purpose",
    "check_source",
    "check_subject_id",
    "language_fallbacks",
    "origin_pseudonym",
    "text_sha256",
]

# The derivation label of the origin pseudonym key: a key of its own, never the audit log's.
ORIGIN_KEY_LABEL = "consent-origin/v1"
MAX_NOTICE_BYTES = 256 * 1024

# BCP 47 (RFC 5646) well-formed tags without grandfathered forms: language (2-3 letters, or
# 5-8 registered), optional script, region, variants, extensions and a private-use part.
_LANGUAGE_TAG = re.compile(
    r"^(?P<language>[A-Za-z]{2,3}|[A-Za-z]{5,8})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?)$"
)
# Published versions appear in URLs: a path segment with no escaping.
_PUBLISHED_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ORIGIN = re.compile(r"^[0-9a-f]{64}$")
_SOURCES = tuple(member.value for member in ConsentSource)


def check_language(tag: object) -> str:
    """A well-formed BCP 47 language tag in its canonical case (``pt-br`` -> ``pt-BR``)."""
    if not isinstance(tag, str) or len(tag) > LANGUAGE_LENGTH:
        raise InvalidInput(_language_message(), code="invalid_language")
    found = _LANGUAGE_TAG.fullmatch(tag)
    if found is None:
        raise InvalidInput(_language_message(), code="invalid_language")
    parts = [found["language"].lower()]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    return "-".join(parts) + found["rest"].lower()


def _language_message() -> str:
    return f"language must be a BCP 47 tag such as en, de-AT or pt-BR (at most {LANGUAGE_LENGTH})"


def language_fallbacks(tag: str, default: str) -> list[str]:
    """The languages to try for ``tag``, most specific first, then the default's chain.

    ``de-AT-1996`` tries ``de-AT-1996``, ``de-AT``, ``de`` and then the default language.
    """
    chain: list[str] = []
    for start in (tag, default):
        parts = start.split("-")
        for end in range(len(parts), 0, -1):
            candidate = "-".join(parts[:end])
            # A single-letter subtag introduces an extension; never end a candidate on one.
            if len(parts[end - 1]) > 1 and candidate not in chain:
                chain.append(candidate)
    return chain


def check_published_version(version: object) -> str:
    """A notice version to publish: letters, digits, ``.``, ``_``, ``-``; at most 64."""
    if (
        not isinstance(version, str)
        or not 1 <= len(version) <= NOTICE_VERSION_LENGTH
        or _PUBLISHED_VERSION.fullmatch(version) is None
    ):
        raise InvalidInput(
            f"a notice version is 1 to {NOTICE_VERSION_LENGTH} letters, digits, '.', '_' or "
            "'-', starting with a letter or digit (e.g. 2024-05)",
            code="invalid_notice_version",
        )
    return version


def check_notice_text(text: object) -> str:
    """Notice text: non-empty UTF-8 text without control characters (newlines and tabs allowed)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("the notice text is empty", code="invalid_notice_text")
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_NOTICE_BYTES:
        raise InvalidInput(
            f"the notice text is larger than {MAX_NOTICE_BYTES // 1024} KiB",
            code="notice_too_large",
        )
    if _CONTROL.search(text) or any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        raise InvalidInput(
            "the notice text holds control characters or invalid code points",
            code="invalid_notice_text",
        )
    return text


def text_sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text: what receipts quote so a customer can check the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def origin_pseudonym(key: bytes, address: str) -> str:
    """A keyed pseudonym of a network address (HMAC-SHA256, hex); never reversible without the key.

    Addresses are normalised first so that one client has one pseudonym however it is
    written (``::ffff:192.0.2.1`` and ``192.0.2.1``, upper- and lower-case IPv6).
    """
    value = address.strip()
    try:
        parsed = ipaddress.ip_address(value)
    except ValueError:
        normal = value.lower()
    else:
        mapped = getattr(parsed, "ipv4_mapped", None)
        normal = str(mapped or parsed)
    return hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()


def check_subject_id(subject_id: object) -> str:
    """A customer id: 1 to 255 characters without control characters."""
    if (
        not isinstance(subject_id, str)
        or not 1 <= len(subject_id) <= 255
        or _ONE_LINE_CONTROL.search(subject_id)
    ):
        raise InvalidInput(
            "customer id must be 1 to 255 characters without control characters",
            code="invalid_subject_id",
        )
    return subject_id


def check_purpose(datamap: DataMap, purpose: object) -> str:
    """A purpose the data map declares."""
    if not isinstance(purpose, str) or purpose not in datamap.purposes:
        # The purpose is caller input: named only when it is a declared one.
        raise InvalidInput("the purpose is not declared in the data map", code="unknown_purpose")
    return purpose


def check_source(source: object) -> ConsentSource:
    """One of the consent sources."""
    if isinstance(source, str) and source in _SOURCES:
        return ConsentSource(source)
    raise InvalidInput(f"source must be one of: {', '.join(_SOURCES)}", code="invalid_source")


def check_notice_version(notice_version: object) -> str | None:
    """A notice version as a shop may name it: one line, at most 64 characters."""
    if notice_version is None:
        return None
    if (
        not isinstance(notice_version, str)
        or not 1 <= len(notice_version) <= NOTICE_VERSION_LENGTH
        or _ONE_LINE_CONTROL.search(notice_version)
    ):
        raise InvalidInput(
            f"notice version must be 1 to {NOTICE_VERSION_LENGTH} characters without control "
            "characters",
            code="invalid_notice_version",
        )
    return notice_version


def check_at(at: object) -> datetime:
    """An aware datetime."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("time must be an aware datetime", code="invalid_time")
    return at


def check_origin(origin: object) -> str | None:
    """None or an origin pseudonym; a raw address handed here by mistake is refused."""
    if origin is None or (isinstance(origin, str) and _ORIGIN.fullmatch(origin)):
        return origin
    raise InvalidInput(
        "origin must be the keyed pseudonym of the request's address (64 hex digits)",
        code="invalid_origin",
    )
