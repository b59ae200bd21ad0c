"""The scanning engine: one fast regex pass per detector, validators on the candidates only."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Final

from privault.dlp.context import adjust, key_hint
from privault.dlp.detectors import (
    DEFAULT_REGIONS,
    Detector,
    NameRecognizer,
    builtin_detectors,
    custom_detectors,
    load_name_recognizer,
)
from privault.dlp.findings import Finding
from privault.errors import InvalidInput

__all__ = ["DEFAULT_MIN_CONFIDENCE", "Scanner", "analyze", "default_scanner"]

DEFAULT_MIN_CONFIDENCE: Final = 0.5


class Scanner:
    """Finds personal data and secrets in text with a fixed set of detectors and a threshold.

    Build one and reuse it: construction compiles the patterns; ``analyze`` runs each detector's
    pattern once over the text (each opens with a literal or character class, so the regex engine
    skips to candidate positions) and validates only the candidates.
    """

    def __init__(
        self,
        *,
        types: Iterable[str] | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        phone_regions: Sequence[str] = DEFAULT_REGIONS,
        detectors: Sequence[Detector] | None = None,
        names: bool | NameRecognizer = False,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise InvalidInput("min_confidence must be between 0 and 1", code="dlp_bad_confidence")
        self.types: frozenset[str] | None = frozenset(types) if types is not None else None
        self.min_confidence = min_confidence
        if detectors is None:
            custom, _ = custom_detectors()
            detectors = [*builtin_detectors(phone_regions), *custom]
        self.detectors: tuple[Detector, ...] = tuple(
            sorted((d for d in detectors if self._wanted_any(d.types)), key=lambda d: d.priority)
        )
        self._folded: dict[str, re.Pattern[str]] = {}
        self._names: NameRecognizer | None
        if isinstance(names, NameRecognizer):
            self._names = names
        elif names and self._wanted("person"):
            self._names = load_name_recognizer()
        else:
            self._names = None

    def _wanted(self, pii_type: str) -> bool:
        return self.types is None or pii_type in self.types

    def _wanted_any(self, pii_types: Iterable[str]) -> bool:
        return self.types is None or any(t in self.types for t in pii_types)

    @property
    def names_enabled(self) -> bool:
        """Whether person names are detected (an NER model was given or could be loaded)."""
        return self._names is not None

    def analyze(self, text: str) -> list[Finding]:
        """All findings in ``text`` at or above the threshold, in order of position."""
        minimum = self.min_confidence
        wanted = self.types
        lowered: str | None = None
        accepted: list[Finding] = []
        starts: list[int] = []
        for detector in self.detectors:
            pattern = detector.compiled
            source = text
            if detector.lowercase:
                if lowered is None:
                    lowered = text.lower()
                if len(lowered) == len(text):
                    source = lowered
                else:  # a few characters change length when lower-cased: keep offsets exact
                    pattern = self._ignorecase(detector)
            for match in pattern.finditer(source):
                for hit in detector.classify(match, text):
                    if wanted is not None and hit.type not in wanted:
                        continue
                    confidence = adjust(hit.confidence, key_hint(text, hit.start), hit.type)
                    if confidence < minimum:
                        continue
                    # Detectors run in priority order, so an overlap means a better claim exists.
                    index = bisect.bisect_left(starts, hit.start)
                    if index > 0 and accepted[index - 1].end > hit.start:
                        continue
                    if index < len(starts) and starts[index] < hit.end:
                        continue
                    starts.insert(index, hit.start)
                    accepted.insert(
                        index,
                        Finding(
                            hit.type,
                            hit.start,
                            hit.end,
                            confidence,
                            hit.validator,
                            hit.detector or detector.name,
                        ),
                    )
        if self._names is not None:
            accepted = _merge_names(accepted, self._names, text, minimum)
        return accepted

    def _ignorecase(self, detector: Detector) -> re.Pattern[str]:
        folded = self._folded.get(detector.name)
        if folded is None:
            folded = self._folded[detector.name] = detector.ignorecase()
        return folded


def _merge_names(
    findings: list[Finding], names: NameRecognizer, text: str, minimum: float
) -> list[Finding]:
    # A name never overrides a validated finding: drop entities that overlap one.
    taken = [(f.start, f.end) for f in findings]
    merged = list(findings)
    for hit in names.find(text):
        if hit.confidence < minimum:
            continue
        if any(hit.start < end and start < hit.end for start, end in taken):
            continue
        merged.append(Finding(hit.type, hit.start, hit.end, hit.confidence, hit.validator, "ner"))
    merged.sort(key=lambda f: (f.start, f.end))
    return merged


_default_lock = threading.Lock()
_default: dict[tuple[frozenset[str] | None, float, int], Scanner] = {}


def default_scanner(
    types: Iterable[str] | None = None, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> Scanner:
    """A shared scanner for these options, rebuilt when the detector registry changes."""
    _, generation = custom_detectors()
    key = (frozenset(types) if types is not None else None, min_confidence, generation)
    with _default_lock:
        scanner = _default.get(key)
        if scanner is None:
            if len(_default) > 32:
                _default.clear()
            scanner = _default[key] = Scanner(types=types, min_confidence=min_confidence)
        return scanner


def analyze(
    text: str,
    *,
    types: Iterable[str] | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> list[Finding]:
    """Find personal data and secrets in ``text`` with the built-in and registered detectors."""
    return default_scanner(types, min_confidence).analyze(text)
