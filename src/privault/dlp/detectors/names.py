"""Person names through an optional spaCy model: imported lazily, never downloaded."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Iterator
from typing import Any, Protocol

from privault.dlp.detectors.base import Hit

__all__ = ["DEFAULT_MODEL", "NameRecognizer", "load_name_recognizer"]

DEFAULT_MODEL = "en_core_web_sm"
_log = logging.getLogger(__name__)


class _Entity(Protocol):
    label_: str
    start_char: int
    end_char: int


class NameRecognizer:
    """Wraps a loaded spaCy pipeline (or any callable returning a doc with ``ents``)."""

    def __init__(self, nlp: Any, *, label: str = "PERSON", confidence: float = 0.7) -> None:
        self._nlp = nlp
        self._label = label
        self._confidence = confidence

    def find(self, text: str) -> Iterator[Hit]:
        """Yield one hit per person entity the model finds."""
        doc = self._nlp(text)
        entity: _Entity
        for entity in doc.ents:
            if entity.label_ == self._label:
                yield Hit("person", entity.start_char, entity.end_char, self._confidence, "ner")


def load_name_recognizer(model: str = DEFAULT_MODEL) -> NameRecognizer | None:
    """Load an installed spaCy model package; None (logged once) when spaCy or it is missing.

    Only installed packages are loaded: a model that is not installed is skipped, never fetched.
    """
    if importlib.util.find_spec("spacy") is None or importlib.util.find_spec(model) is None:
        _log.warning("name detection skipped: spaCy or model package %r is not installed", model)
        return None
    package = importlib.import_module(model)
    # Only the components NER needs: the others cost time and add nothing to names.
    nlp = package.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    return NameRecognizer(nlp)
