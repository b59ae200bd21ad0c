"""Check-digit algorithms against published example numbers and single-digit corruptions."""

from __future__ import annotations

import pytest

from privault.common import checksums


@pytest.mark.parametrize(
    ("check", "valid", "corrupted"),
    [
        (checksums.luhn_valid, "4111111111111111", "4111111111111112"),
        (checksums.gtin_valid, "4006381333931", "4006381333932"),
        (checksums.iban_valid, "DE89370400440532013000", "DE89370400440532013001"),
        (checksums.iban_valid, "GB82WEST12345698765432", "GB82WEST12345698765433"),
        (checksums.aba_valid, "011000015", "011000016"),
        (checksums.bsn_valid, "111222333", "111222334"),
        (checksums.steuer_id_valid, "86095742719", "86095742718"),
        (checksums.insee_valid, "255081416802538", "255081416802539"),
        (checksums.dni_valid, "12345678Z", "12345678A"),
        (checksums.nie_valid, "X1234567L", "X1234567A"),
        (checksums.codice_fiscale_valid, "RSSMRA85T10A562S", "RSSMRA85T10A562T"),
        (checksums.verhoeff_valid, "2363", "2364"),
    ],
)
def test_check_accepts_published_example_and_rejects_corruption(
    check: object, valid: str, corrupted: str
) -> None:
    """Each validator accepts a published valid example and rejects it with one digit changed."""
    assert callable(check)
    assert check(valid) is True
    assert check(corrupted) is False


def test_iban_with_wrong_length_for_country_is_rejected() -> None:
    """A German IBAN one character short fails even before the mod-97 check."""
    assert checksums.iban_valid("DE8937040044053201300") is False


def test_iban_with_unknown_country_is_rejected() -> None:
    """Country codes outside the IBAN registry are refused."""
    assert checksums.iban_valid("QQ89370400440532013000") is False


def test_steuer_id_needs_one_repeated_digit() -> None:
    """A German tax id whose first ten digits are all different is invalid by rule."""
    assert checksums.steuer_id_valid("12345678903") is False


def test_insee_accepts_corsican_department() -> None:
    """NIRs of people born in Corsica (2A/2B) validate with the 19/18 substitution."""
    body = "1850" + "72A" + "00512" + "3"
    key = 97 - int(body.replace("2A", "19")) % 97
    assert checksums.insee_valid(f"{body}{key:02d}") is True
