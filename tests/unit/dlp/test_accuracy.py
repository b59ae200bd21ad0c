"""Acceptance criteria on the labelled evaluation set (tests/dlp_eval)."""

from __future__ import annotations

import pytest

from dlp_eval.generate import LOCALES, Sample, Score, build_eval_set, score
from privault.dlp import Scanner


@pytest.fixture(scope="module")
def results() -> tuple[dict[str, Score], int, list[Sample]]:
    """Scores of the default scanner on the seeded evaluation set."""
    samples = build_eval_set()
    scanner = Scanner()

    def predict(text: str) -> list[tuple[str, int, int]]:
        return [(f.type, f.start, f.end) for f in scanner.analyze(text)]

    scores, phone_inside = score(samples, predict)
    return scores, phone_inside, samples


def test_eval_set_covers_several_locales(
    results: tuple[dict[str, Score], int, list[Sample]],
) -> None:
    """The set has lines from every locale and enough labelled values of each target type."""
    scores, _, samples = results
    assert len(samples) == 400 * len(LOCALES)
    for pii_type in ("card", "phone", "email", "iban", "ip_address"):
        assert scores[pii_type].tp + scores[pii_type].fn >= 200


def test_cards_precision_and_recall(results: tuple[dict[str, Score], int, list[Sample]]) -> None:
    """Cards: precision and recall at least 0.99 (Mastercard 2-series included)."""
    card = results[0]["card"]
    assert card.precision >= 0.99
    assert card.recall >= 0.99


def test_phones_precision_and_recall(results: tuple[dict[str, Score], int, list[Sample]]) -> None:
    """Phones without context words: precision at least 0.95, recall at least 0.9."""
    phone = results[0]["phone"]
    assert phone.precision >= 0.95
    assert phone.recall >= 0.9


@pytest.mark.parametrize("pii_type", ["email", "iban", "ip_address"])
def test_email_iban_ip_precision_and_recall(
    results: tuple[dict[str, Score], int, list[Sample]], pii_type: str
) -> None:
    """E-mail addresses, IBANs and IP addresses: precision and recall at least 0.99."""
    entry = results[0][pii_type]
    assert entry.precision >= 0.99
    assert entry.recall >= 0.99


def test_no_phone_inside_ip_ssn_or_card(
    results: tuple[dict[str, Score], int, list[Sample]],
) -> None:
    """Not one phone finding overlaps a labelled IP address, SSN or card number."""
    assert results[1] == 0


def test_hard_negatives_raise_no_false_positive(
    results: tuple[dict[str, Score], int, list[Sample]],
) -> None:
    """Across the set, no type other than the address heuristic has a false positive."""
    scores = results[0]
    assert {t: s.fp for t, s in scores.items() if s.fp and t != "address"} == {}
