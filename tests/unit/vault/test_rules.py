"""Field value validation per type: what is accepted, its stored form, and clear refusals."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.common.checksums import iban_valid, luhn_valid
from privault.vault.rules import canonical_value, check_subject_id


class TestAccepted:
    """Valid values pass and come back in their stored form."""

    @pytest.mark.parametrize(
        ("field_type", "raw", "stored"),
        [
            ("email", "  ada@example.com ", "ada@example.com"),
            ("email", "o'brien+tag@sub.example.co.uk", "o'brien+tag@sub.example.co.uk"),
            ("phone", "+44 20 7946 0958", "+44 20 7946 0958"),
            ("phone", "(415) 555-2671", "(415) 555-2671"),
            ("name", "  Zoë Ñúñez ", "Zoë Ñúñez"),
            ("address", "1 Rue de Rivoli\n75001 Paris", "1 Rue de Rivoli\n75001 Paris"),
            ("date", "1990-05-17", "1990-05-17"),
            ("card_number", "4111 1111 1111 1111", "4111111111111111"),
            ("card_number", "2221-0000-0000-0009", "2221000000000009"),
            ("iban", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
            ("national_id", "AB123456C", "AB123456C"),
            ("ip_address", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("ip_address", "192.0.2.10", "192.0.2.10"),
            ("text", "anything at all", "anything at all"),
        ],
    )
    def test_valid_value_is_stored_canonically(
        self, field_type: str, raw: str, stored: str
    ) -> None:
        """Each type keeps the meaning of the value and normalises only its form."""
        assert canonical_value(field_type, raw) == stored


class TestRefused:
    """Invalid values are refused with a reason that never contains the value."""

    @pytest.mark.parametrize(
        ("field_type", "raw", "reason"),
        [
            ("email", "not-an-email", "not a valid email address"),
            ("email", "two@@example.com", "not a valid email address"),
            ("email", "a@localhost", "not a valid email address"),
            ("phone", "call me maybe", "not a valid phone number"),
            ("phone", "12345", "a phone number has 6 to 15 digits"),
            ("name", "   ", "name is empty"),
            ("name", "Ada\x00Lovelace", "name contains control characters"),
            ("date", "17/05/1990", "not a date in YYYY-MM-DD form"),
            ("date", "1990-02-30", "not a date in YYYY-MM-DD form"),
            ("card_number", "4111 1111 1111 1112", "card number fails the Luhn check"),
            ("card_number", "4111", "a card number has 12 to 19 digits"),
            (
                "card_number",
                "４１１１１１１１１１１１１１１１",
                "a card number has 12 to 19 digits",
            ),
            ("iban", "DE89370400440532013001", "not a valid IBAN"),
            ("ip_address", "999.1.1.1", "not a valid IP address"),
            ("text", "x" * 70_000, "text is longer than 65536 characters"),
        ],
    )
    def test_invalid_value_is_refused_with_reason(
        self, field_type: str, raw: str, reason: str
    ) -> None:
        """The reason names the rule broken."""
        with pytest.raises(ValueError, match="^" + reason) as caught:
            canonical_value(field_type, raw)
        assert raw.strip() not in str(caught.value) or not raw.strip()

    def test_non_string_is_refused(self) -> None:
        """Values must be strings: a number is not silently converted."""
        with pytest.raises(ValueError, match="must be a string"):
            canonical_value("phone", 4155552671)

    @given(st.text(max_size=300))
    def test_no_input_crashes_a_check(self, raw: str) -> None:
        """Any text either passes or raises ValueError, for every type."""
        for field_type in (
            "email",
            "phone",
            "name",
            "address",
            "date",
            "card_number",
            "iban",
            "national_id",
            "ip_address",
            "text",
        ):
            with contextlib.suppress(ValueError):
                canonical_value(field_type, raw)


class TestChecksums:
    """The checksums behind card and IBAN validation."""

    def test_luhn_known_values(self) -> None:
        """Known valid and invalid card numbers."""
        assert luhn_valid("79927398713")
        assert not luhn_valid("79927398710")

    def test_iban_known_values(self) -> None:
        """The ISO 13616 example passes, a changed digit fails."""
        assert iban_valid("GB82WEST12345698765432")
        assert not iban_valid("GB82WEST12345698765433")


class TestSubjectId:
    """Customer ids are printable strings of 1..255 characters."""

    @pytest.mark.parametrize("bad", ["", "x" * 256, "a\nb", None, 12])
    def test_bad_subject_ids_are_refused(self, bad: object) -> None:
        """Empty, overlong, multi-line and non-string ids are refused."""
        with pytest.raises(ValueError, match="customer id"):
            check_subject_id(bad)
