"""Redaction modes and their guarantees."""

from __future__ import annotations

import pytest

from privault.dlp import Finding, Redactor, analyze, redact
from privault.errors import InvalidInput

TEXT = "jo@example.com paid with 4111 1111 1111 1111"
KEY = b"k" * 32


def test_mask_keeps_separators_and_card_last_four() -> None:
    """Masking keeps the shape, the top-level domain, and a card's last four digits."""
    assert redact(TEXT, analyze(TEXT)) == "**@*******.com paid with **** **** **** 1111"


def test_label_mode_writes_the_type() -> None:
    """Label mode replaces each finding with its type in brackets."""
    assert redact(TEXT, analyze(TEXT), mode="label") == "[EMAIL] paid with [CARD]"


def test_hash_mode_is_keyed_and_deterministic() -> None:
    """The same value under the same key gives the same tag; another key gives another."""
    first = redact(TEXT, analyze(TEXT), mode="hash", key=KEY)
    again = redact(TEXT, analyze(TEXT), mode="hash", key=KEY)
    other = redact(TEXT, analyze(TEXT), mode="hash", key=b"o" * 32)
    assert first == again != other
    assert first.startswith("[EMAIL:")
    assert "4111" not in first


def test_hash_mode_needs_a_long_enough_key() -> None:
    """Hashing without a key, or with a short one, is refused."""
    with pytest.raises(InvalidInput):
        redact(TEXT, analyze(TEXT), mode="hash")
    with pytest.raises(InvalidInput):
        Redactor("hash", key=b"short")


def test_token_mode_calls_the_tokenizer_with_type_and_value() -> None:
    """Token mode hands each value to the tokenizer and writes what it returns."""
    seen: list[tuple[str, str]] = []

    def tokenizer(pii_type: str, value: str) -> str:
        seen.append((pii_type, value))
        return f"tok_{len(seen)}"

    assert redact(TEXT, analyze(TEXT), mode="token", tokenizer=tokenizer) == "tok_1 paid with tok_2"
    assert seen == [("email", "jo@example.com"), ("card", "4111 1111 1111 1111")]


def test_token_mode_needs_a_tokenizer() -> None:
    """Token mode without a tokenizer is refused."""
    with pytest.raises(InvalidInput):
        Redactor("token")


def test_unknown_mode_is_refused() -> None:
    """A mode outside mask/label/hash/token is refused."""
    with pytest.raises(InvalidInput):
        Redactor("shred")  # type: ignore[arg-type]


def test_overlapping_findings_are_replaced_once() -> None:
    """Overlapping spans are covered without duplicating or leaking text."""
    findings = [Finding("a", 0, 6, 1.0, "none", "t"), Finding("b", 3, 9, 1.0, "none", "t")]
    assert redact("abcdefghij", findings, mode="label") == "[A][B]j"


def test_span_outside_text_is_refused() -> None:
    """A finding that does not fit the text is an error, not a silent partial redaction."""
    with pytest.raises(InvalidInput):
        redact("short", [Finding("email", 0, 50, 1.0, "none", "t")])
