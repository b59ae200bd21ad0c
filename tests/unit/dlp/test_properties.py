"""Properties over generated input: scanning never fails, redaction never leaks a canary."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.dlp import Scanner, redact

SCANNER = Scanner()
CANARIES = ("2223 0031 2200 3222", "2223003122003222", "canary.customer@example.org")
# Text made of the characters detectors care about, so that near-misses are common.
ALPHABET = st.sampled_from(list("0123456789 +-().:/@_=\"'abcxyzABCXYZ\n\tİß€"))
NOISE = st.text(alphabet=ALPHABET, max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_gives_valid_sorted_findings(text: str) -> None:
    """For arbitrary text, findings lie inside it, in order, and do not overlap."""
    findings = SCANNER.analyze(text)
    previous_end = 0
    for finding in findings:
        assert previous_end <= finding.start < finding.end <= len(text)
        assert 0.0 <= finding.confidence <= 1.0
        previous_end = finding.end


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(NOISE, st.sampled_from(CANARIES), NOISE)
def test_canary_between_separators_is_always_redacted(before: str, canary: str, after: str) -> None:
    """A canary card or address set off by spaces never survives label redaction."""
    text = f"{before} {canary} {after}"
    assert canary not in redact(text, SCANNER.analyze(text), mode="label")
