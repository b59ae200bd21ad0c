"""The scanner: type filters, thresholds, ordering, the detector registry and the NER backend."""

from __future__ import annotations
import __future__

import dataclasses
import itertools
import types
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

import privault.dlp
from privault.dlp import (
    Finding,
    NameRecognizer,
    Scanner,
    analyze,
    make_detector,
    register_detector,
    unregister_detector,
)
from privault.errors import InvalidInput

SAMPLE = "mail jo@example.com card 4111 1111 1111 1111 call +44 20 7946 0018"


def test_public_api_lists_exactly_its_names() -> None:
    """``__all__`` names every public attribute (some loaded lazily) and nothing else."""
    loaded = {
        name
        for name, value in vars(privault.dlp).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and not isinstance(value, __future__._Feature)
    }
    assert loaded <= set(privault.dlp.__all__)
    assert all(getattr(privault.dlp, name) is not None for name in privault.dlp.__all__)


def test_unknown_attribute_is_an_attribute_error() -> None:
    """The lazy loader refuses names the package does not have."""
    with pytest.raises(AttributeError):
        _ = privault.dlp.no_such_name


def test_finding_does_not_store_the_matched_text() -> None:
    """A finding holds a span, not the value; the value is read from the input on request."""
    finding = analyze(SAMPLE)[0]
    assert "jo@example.com" not in repr(finding)
    assert {field.name for field in dataclasses.fields(finding)} == {
        "type",
        "start",
        "end",
        "confidence",
        "validator",
        "detector",
    }
    assert finding.value_in(SAMPLE) == "jo@example.com"


def test_findings_are_ordered_and_do_not_overlap() -> None:
    """Findings come back sorted by position, with no two spans overlapping."""
    findings = analyze(SAMPLE * 3)
    spans = [(f.start, f.end) for f in findings]
    assert spans == sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_types_filter_keeps_only_requested_types() -> None:
    """``types`` limits the result to those types."""
    assert [f.type for f in analyze(SAMPLE, types={"phone"})] == ["phone"]


def test_min_confidence_drops_weaker_findings() -> None:
    """Raising ``min_confidence`` drops findings below it (the phone here has no key)."""
    assert [f.type for f in analyze(SAMPLE, min_confidence=0.95)] == ["email", "card"]


def test_min_confidence_out_of_range_is_invalid() -> None:
    """A threshold outside [0, 1] is refused."""
    with pytest.raises(InvalidInput):
        Scanner(min_confidence=1.5)


def test_registered_detector_is_used_and_can_be_removed() -> None:
    """A registered detector finds its values until it is unregistered."""
    detector = make_detector(
        name="loyalty",
        type="loyalty_id",
        pattern=r"LOY-\d{6}(?!\d)",
        validate=lambda value: int(value[4:]) % 7 == 0,
        validator="mod7",
    )
    register_detector(detector)
    try:
        findings = analyze("cards LOY-000007 and LOY-000008")
        assert [(f.type, f.validator, f.detector) for f in findings] == [
            ("loyalty_id", "mod7", "loyalty")
        ]
    finally:
        unregister_detector("loyalty")
    assert analyze("cards LOY-000007") == []


def test_bad_detector_pattern_is_invalid_input() -> None:
    """A detector with a broken regular expression is refused when it is made."""
    with pytest.raises(InvalidInput):
        make_detector(name="broken", type="x", pattern="(unclosed")


class _FakeDoc:
    def __init__(self, text: str) -> None:
        start = text.find("Ada Lovelace")
        self.ents = [SimpleNamespace(label_="PERSON", start_char=start, end_char=start + 12)]


def _fake_nlp(text: str) -> _FakeDoc:
    return _FakeDoc(text)


def test_name_backend_adds_person_findings() -> None:
    """With an NER backend, person entities become ``person`` findings beside regex ones."""
    scanner = Scanner(names=NameRecognizer(_fake_nlp))
    text = "Ada Lovelace wrote from ada@example.com"
    assert [(f.type, f.value_in(text)) for f in scanner.analyze(text)] == [
        ("person", "Ada Lovelace"),
        ("email", "ada@example.com"),
    ]


def test_missing_spacy_leaves_regex_path_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking for names without spaCy installed skips NER cleanly and finds the rest as usual."""
    import importlib.util

    real = importlib.util.find_spec

    def no_spacy(name: str, *args: object) -> object:
        return None if name.split(".", maxsplit=1)[0] in ("spacy", "en_core_web_sm") else real(name)

    monkeypatch.setattr(importlib.util, "find_spec", no_spacy)
    scanner = Scanner(names=True)
    assert scanner.names_enabled is False
    assert scanner.analyze(SAMPLE) == Scanner().analyze(SAMPLE)


def test_detector_priority_decides_overlaps() -> None:
    """Where two detectors claim overlapping text, the lower priority number wins."""

    def whole(match: object, text: str) -> Iterator[privault.dlp.Hit]:
        assert hasattr(match, "span")
        start, end = match.span()
        yield privault.dlp.Hit("custom", start, end, 0.9, "none")

    claim = privault.dlp.Detector("claim", r"jo@example\.com", whole, ("custom",), priority=1)
    scanner = Scanner(detectors=[claim, *Scanner().detectors])
    assert [f.type for f in scanner.analyze("mail jo@example.com")] == ["custom"]


def test_finding_preview_is_masked() -> None:
    """The preview shows the shape and a card's last four digits, never the value."""
    text = "card 4111-1111-1111-1111"
    finding: Finding = analyze(text)[0]
    assert finding.preview_in(text) == "****-****-****-1111"
