"""Recovery codes: generation, normalisation, keyed hashing, single-match verification."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.auth import (
    RECOVERY_CODE_BITS,
    generate_recovery_codes,
    hash_recovery_code,
    normalise_recovery_code,
    verify_recovery_code,
)
from privault.errors import InvalidInput

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
FORMAT = re.compile(r"[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}")


class TestGeneration:
    def test_ten_codes_by_default_in_grouped_format(self) -> None:
        """Ten distinct codes of four dash-separated groups, without i, l, o or u."""
        codes = generate_recovery_codes()
        assert len(codes) == 10
        assert len(set(codes)) == 10
        assert all(FORMAT.fullmatch(code) for code in codes)

    def test_each_code_carries_at_least_64_bits(self) -> None:
        """16 symbols of a 32-letter alphabet: 80 bits each."""
        assert RECOVERY_CODE_BITS >= 64
        assert (
            len(normalise_recovery_code(generate_recovery_codes()[0]) or "") * 5
            == RECOVERY_CODE_BITS
        )

    def test_codes_differ_between_calls(self) -> None:
        """Two sets share no code."""
        assert not set(generate_recovery_codes()) & set(generate_recovery_codes())

    @pytest.mark.parametrize("n", [0, 9, 101])
    def test_count_outside_range_refused(self, n: int) -> None:
        """Fewer than 10 (the issue's minimum) or an absurd number is InvalidInput."""
        with pytest.raises(InvalidInput):
            generate_recovery_codes(n)


class TestVerification:
    def test_matching_code_returns_its_index(self) -> None:
        """The index of the stored hash the code matches is returned."""
        codes = generate_recovery_codes()
        hashes = [hash_recovery_code(code, key=KEY) for code in codes]
        assert verify_recovery_code(codes[7], hashes, key=KEY) == 7

    def test_used_code_is_not_accepted_again(self) -> None:
        """A used code (its slot set to None) no longer matches."""
        codes = generate_recovery_codes()
        hashes: list[str | None] = [hash_recovery_code(code, key=KEY) for code in codes]
        hashes[3] = None
        assert verify_recovery_code(codes[3], hashes, key=KEY) is None
        assert verify_recovery_code(codes[4], hashes, key=KEY) == 4

    @pytest.mark.parametrize(
        "typed",
        [
            lambda c: c.upper(),
            lambda c: c.replace("-", ""),
            lambda c: c.replace("-", " "),
            lambda c: f"  {c}  ",
        ],
    )
    def test_case_dashes_and_spaces_are_ignored(self, typed: object) -> None:
        """A code typed in capitals, without dashes or with spaces still matches."""
        codes = generate_recovery_codes()
        hashes = [hash_recovery_code(code, key=KEY) for code in codes]
        assert verify_recovery_code(typed(codes[0]), hashes, key=KEY) == 0  # type: ignore[operator]

    def test_confusable_letters_map_to_digits(self) -> None:
        """I and L are read as 1 and O as 0, as Crockford base32 prescribes."""
        stored = [hash_recovery_code("1100-0000-0000-0000", key=KEY)]
        assert verify_recovery_code("IL0O-oooo-0000-0000", stored, key=KEY) == 0

    def test_other_key_does_not_match(self) -> None:
        """Hashes made under another key do not verify."""
        code = generate_recovery_codes()[0]
        assert (
            verify_recovery_code(code, [hash_recovery_code(code, key=OTHER_KEY)], key=KEY) is None
        )

    def test_stored_value_is_not_the_code(self) -> None:
        """What is stored reveals neither the code nor its canonical form."""
        code = generate_recovery_codes()[0]
        stored = hash_recovery_code(code, key=KEY)
        assert code.replace("-", "") not in stored
        assert len(stored) == 64

    @pytest.mark.parametrize(
        "typed",
        [
            "",
            "abcd",
            "uuuu-uuuu-uuuu-uuuu",
            "0000-0000-0000-000!",
            "x" * 5000,
            "０１２３-4567-89ab-cdef",
        ],
    )
    def test_malformed_code_returns_none(self, typed: str) -> None:
        """Malformed input gives None without raising."""
        hashes = [hash_recovery_code(code, key=KEY) for code in generate_recovery_codes()]
        assert verify_recovery_code(typed, hashes, key=KEY) is None

    @given(st.text(max_size=40))
    def test_any_text_never_raises(self, typed: str) -> None:
        """Arbitrary text is answered with an index or None."""
        stored = [hash_recovery_code("abcd-efgh-jkmn-pqrs", key=KEY)]
        assert verify_recovery_code(typed, stored, key=KEY) in (None, 0)

    def test_corrupt_stored_hash_does_not_match_or_raise(self) -> None:
        """A damaged or non-ASCII stored value is simply no match."""
        code = generate_recovery_codes()[0]
        assert verify_recovery_code(code, ["", "zz", "é" * 64], key=KEY) is None

    def test_short_key_refused(self) -> None:
        """A key under 32 bytes is InvalidInput."""
        with pytest.raises(InvalidInput):
            hash_recovery_code("abcd-efgh-jkmn-pqrs", key=b"short")

    def test_hashing_malformed_code_refused_without_echo(self) -> None:
        """Hashing a malformed code is InvalidInput whose message does not quote it."""
        with pytest.raises(InvalidInput) as caught:
            hash_recovery_code("canary-code-value", key=KEY)
        assert "canary" not in str(caught.value)
        assert "canary" not in repr(caught.value.context)
