"""What a detector is: a regular expression, a classifier for its matches, and its types."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["Classifier", "Detector", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    """A detector's verdict on part of a match: type, span, base confidence, validator used."""

    type: str
    start: int
    end: int
    confidence: float
    validator: str


Classifier = Callable[[re.Match[str], str], Iterable[Hit]]
"""Turns one match of the detector's pattern (and the whole text, for context) into hits."""


@dataclass(frozen=True)
class Detector:
    """A named detector: its pattern joins the engine's combined expression.

    ``pattern`` may use groups (the engine re-matches the detector's own compiled pattern before
    calling ``classify``) but no backreferences. Lower ``priority`` runs first: at one position
    the first pattern that matches wins, and the text it covers is not offered to the others.
    """

    name: str
    pattern: str
    classify: Classifier
    types: tuple[str, ...]
    priority: int = 500
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern))
