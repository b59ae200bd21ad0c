"""The detectors: built-in ones in priority order, and the registry for your own.

Add a detector with ``privault.dlp.register_detector`` (see ``docs/dlp.md``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence

from privault.dlp.detectors.base import Classifier, Detector, Hit
from privault.dlp.detectors.capitals import CAPITALS_PATTERN, CAPITALS_TYPES, classify_capitals
from privault.dlp.detectors.keywords import KEYWORD_PATTERN, KEYWORD_TYPES, classify_keyword
from privault.dlp.detectors.names import NameRecognizer, load_name_recognizer
from privault.dlp.detectors.network import (
    EMAIL_PATTERN,
    IPV6_PATTERN,
    classify_email,
    classify_ipv6,
)
from privault.dlp.detectors.numbers import DIGITS_PATTERN, NUMBER_TYPES, classify_digits
from privault.dlp.detectors.phones import DEFAULT_REGIONS
from privault.dlp.detectors.secrets import (
    JWT_PATTERN,
    PEM_PATTERN,
    PROVIDER_KEY_PATTERNS,
    classify_jwt,
    classify_pem,
    classify_provider_key,
)
from privault.errors import InvalidInput

__all__ = [
    "DEFAULT_REGIONS",
    "Classifier",
    "Detector",
    "Hit",
    "NameRecognizer",
    "builtin_detectors",
    "custom_detectors",
    "load_name_recognizer",
    "make_detector",
    "register_detector",
    "unregister_detector",
]


def builtin_detectors(regions: Sequence[str] = DEFAULT_REGIONS) -> list[Detector]:
    """The built-in detectors; ``regions`` are tried for phone numbers without a country code."""
    region_tuple = tuple(regions)

    def digits(match: re.Match[str], text: str) -> Iterator[Hit]:
        return classify_digits(match, text, region_tuple)

    providers = [
        Detector(name, pattern, classify_provider_key, ("secret",), 30)
        for name, pattern in PROVIDER_KEY_PATTERNS.items()
    ]
    return [
        Detector("private_key", PEM_PATTERN, classify_pem, ("secret",), 10),
        Detector("jwt", JWT_PATTERN, classify_jwt, ("secret",), 20),
        *providers,
        Detector("keywords", KEYWORD_PATTERN, classify_keyword, KEYWORD_TYPES, 40, lowercase=True),
        Detector("email", EMAIL_PATTERN, classify_email, ("email",), 70),
        Detector("capitals", CAPITALS_PATTERN, classify_capitals, CAPITALS_TYPES, 80),
        Detector("ipv6", IPV6_PATTERN, classify_ipv6, ("ip_address",), 120),
        Detector("digits", DIGITS_PATTERN, digits, NUMBER_TYPES, 130),
    ]


_custom: list[Detector] = []
_lock = threading.Lock()
_generation = [0]


def make_detector(
    *,
    name: str,
    type: str,
    pattern: str,
    validate: Callable[[str], bool] | None = None,
    validator: str = "none",
    confidence: float = 0.8,
    priority: int = 5,
    lowercase: bool = False,
) -> Detector:
    """Build a detector from a pattern and an optional ``validate(value) -> bool`` check."""
    if not 0.0 <= confidence <= 1.0:
        raise InvalidInput("confidence must be between 0 and 1", code="dlp_bad_confidence")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(
            "detector pattern is not a valid regular expression", code="dlp_bad_pattern", name=name
        ) from exc

    def classify(match: re.Match[str], text: str) -> Iterator[Hit]:
        if validate is None or validate(text[match.start() : match.end()]):
            yield Hit(type, match.start(), match.end(), confidence, validator)

    return Detector(name, pattern, classify, (type,), priority, lowercase)


def register_detector(detector: Detector) -> None:
    """Add a detector to every scanner created from now on (replacing one of the same name)."""
    with _lock:
        _custom[:] = [existing for existing in _custom if existing.name != detector.name]
        _custom.append(detector)
        _generation[0] += 1


def unregister_detector(name: str) -> None:
    """Remove a registered detector by name (no error if it is not registered)."""
    with _lock:
        _custom[:] = [existing for existing in _custom if existing.name != name]
        _generation[0] += 1


def custom_detectors() -> tuple[list[Detector], int]:
    """The registered detectors and the registry's generation (it changes on every edit)."""
    with _lock:
        return list(_custom), _generation[0]
