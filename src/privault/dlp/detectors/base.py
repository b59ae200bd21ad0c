"""What a detector is: a regular expression, a classifier for its matches, and its types."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Classifier", "Detector", "Hit"]


class Hit(NamedTuple):
    """A detector's verdict on part of a match: type, span, base confidence, validator used.

    A named tuple rather than a dataclass: detectors make many, and tuples are cheap to make.
    """

    type: str
    start: int
    end: int
    confidence: float
    validator: str
    detector: str = ""
    """Set by passes that serve several detectors; otherwise the pass's own name is used."""


Classifier = Callable[[re.Match[str], str], Iterable[Hit]]
"""Turns one match of the detector's pattern (and the whole text, for context) into hits."""


@dataclass(frozen=True)
class Detector:
    """A named detector: its pattern joins the engine's combined expression.

    Each detector's pattern runs as its own pass over the text; open it with a literal or a
    character class so that the regex engine can skip to candidate positions. With
    ``lowercase`` the pattern runs over the lower-cased text (write it in lower case): cheaper
    than IGNORECASE. Where findings of two detectors overlap, the lower ``priority`` wins.
    """

    name: str
    pattern: str
    classify: Classifier
    types: tuple[str, ...]
    priority: int = 500
    lowercase: bool = False
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern))

    def ignorecase(self) -> re.Pattern[str]:
        """The pattern with IGNORECASE, for texts whose lower-cased form changes length."""
        return re.compile(self.pattern, re.IGNORECASE)
