"""One pass for every detector that opens with a keyword: CVV, date of birth, secrets by key.

The pass runs over the lower-cased text and looks only for the keywords (a plain alternation
of literals, which the regex engine can skip ahead on); each detector's own pattern then runs
only where its keyword is. Three separate passes would each scan the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from privault.dlp.detectors.base import Classifier, Hit
from privault.dlp.detectors.personal import CVV_PATTERN, DOB_PATTERN, classify_cvv, classify_dob
from privault.dlp.detectors.secrets import KV_SECRET_PATTERN, classify_kv_secret

__all__ = ["KEYWORD_PATTERN", "KEYWORD_TYPES", "classify_keyword"]


def _leading_group(pattern: str) -> str:
    """The alternation inside a pattern's leading ``(?:...)`` group: its keywords."""
    depth = 0
    for index, char in enumerate(pattern):
        escaped = index > 0 and pattern[index - 1] == "\\"
        if char == "(" and not escaped:
            depth += 1
        elif char == ")" and not escaped:
            depth -= 1
            if depth == 0:
                return pattern[3:index]
    raise ValueError("pattern has no leading group")


_DETECTORS: Final[tuple[tuple[str, re.Pattern[str], Classifier], ...]] = (
    ("cvv", re.compile(CVV_PATTERN), classify_cvv),
    ("date_of_birth", re.compile(DOB_PATTERN), classify_dob),
    ("kv_secret", re.compile(KV_SECRET_PATTERN), classify_kv_secret),
)
# For texts whose lower-cased form changes length, the engine runs the pass with IGNORECASE on
# the original text; the detectors' patterns then need it too.
_FOLDED: Final = tuple(re.compile(pattern.pattern, re.IGNORECASE) for _, pattern, _ in _DETECTORS)


def _split_alternatives(alternation: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for index, char in enumerate(alternation):
        escaped = index > 0 and alternation[index - 1] == "\\"
        if char in "([" and not escaped:
            depth += 1
        elif char in ")]" and not escaped:
            depth -= 1
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _by_first_letter(alternatives: list[str]) -> str:
    """``a(?:...)|b(?:...)``: the regex engine rejects a branch on its first letter at once."""
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        groups.setdefault(alternative[0], []).append(alternative[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


KEYWORD_PATTERN: Final = _by_first_letter(
    [alt for _, p, _ in _DETECTORS for alt in _split_alternatives(_leading_group(p.pattern))]
)
KEYWORD_TYPES: Final = ("cvv", "date_of_birth", "secret")


def classify_keyword(match: re.Match[str], text: str) -> Iterator[Hit]:
    """Run the detectors whose keyword starts here (``match`` is on the lower-cased text)."""
    lowered = match.string
    position = match.start()
    folded = bool(match.re.flags & re.IGNORECASE)
    for (name, pattern, classify), folded_pattern in zip(_DETECTORS, _FOLDED, strict=True):
        own = (folded_pattern if folded else pattern).match(lowered, position)
        if own is not None:
            for hit in classify(own, text):
                yield Hit(hit.type, hit.start, hit.end, hit.confidence, hit.validator, name)
            return
